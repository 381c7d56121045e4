#include "ops/rope.hpp"

namespace engine {

void apply_rope(float* v, int n, int head_size, const float* cos, const float* sin) {
  for (int i = 0; i < n; i += 2) {
    const int f = (i % head_size) / 2;
    const float v0 = v[i], v1 = v[i + 1];
    v[i] = v0 * cos[f] - v1 * sin[f];
    v[i + 1] = v0 * sin[f] + v1 * cos[f];
  }
}

}  // namespace engine
