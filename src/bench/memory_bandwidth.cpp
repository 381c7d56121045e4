#include "bench/memory_bandwidth.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "ops/kernels/kernel_table.hpp"

namespace engine {

double measure_read_bandwidth_gbps() {
  // Read the way decode reads weights: GEMV over a (rows, 4096) matrix, several rows at once.
  constexpr std::size_t kCols = 4096, kRows = (256u << 20) / sizeof(float) / kCols;
  constexpr std::size_t kRowsPerChunk = 16;
  std::vector<float> matrix(kRows * kCols, 1.0f);  // written once: every page is really mapped
  const std::vector<float> x(kCols, 1.0f);
  std::vector<float> y(kRows);
  const kernels::KernelTable& k = kernels::kernels();
  double best = 0.0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static)
    for (std::size_t r = 0; r < kRows; r += kRowsPerChunk)
      k.gemm(matrix.data() + r * kCols, x.data(), y.data() + r, kRowsPerChunk, kCols, 1, kRows);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (y[kRows - 1] == static_cast<float>(kCols))  // the reads really happened
      best = std::max(best, matrix.size() * sizeof(float) / seconds / 1e9);
  }
  return best;
}

}  // namespace engine
