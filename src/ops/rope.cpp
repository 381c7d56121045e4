#include "ops/rope.hpp"

#include "ops/kernels/kernel_table.hpp"

namespace engine {

void apply_rope(float* v, int n, int head_size, const float* cos, const float* sin) {
  kernels::kernels().rope(v, n, head_size, cos, sin);
}

void apply_rope_halves(float* v, int n, int head_size, const float* cos, const float* sin) {
  kernels::kernels().rope_halves(v, n, head_size, cos, sin);
}

}  // namespace engine
