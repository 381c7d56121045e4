#include "bench/memory_bandwidth.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "ops/kernels/kernel_table.hpp"

namespace engine {

double measure_read_bandwidth_gbps() {
  constexpr std::size_t kFloats = (256u << 20) / sizeof(float);
  std::vector<float> buffer(kFloats, 1.0f);  // written once: every page is really mapped
  const kernels::KernelTable& k = kernels::kernels();
  double best = 0.0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    float sink = 0.0f;
    constexpr std::size_t kChunk = 1 << 16;
#pragma omp parallel for schedule(static) reduction(+ : sink)
    for (std::size_t i = 0; i < kFloats; i += kChunk)
      // dot(a, a) streams one array: both operands hit the same cache line.
      sink += k.dot(buffer.data() + i, buffer.data() + i, std::min(kChunk, kFloats - i));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (sink > 0) best = std::max(best, kFloats * sizeof(float) / seconds / 1e9);
  }
  return best;
}

}  // namespace engine
