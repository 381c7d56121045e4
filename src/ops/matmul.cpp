#include "ops/matmul.hpp"

#include <algorithm>
#include <cstdint>

#include "ops/kernels/kernel_table.hpp"

namespace engine {

void matmul(const float* x, const float* w, float* y, int M, int K, int N) {
  const kernels::KernelTable& k = kernels::kernels();
  // Blocks of weight rows: each block stays in cache while every row of x passes over it.
  constexpr int kRowsPerBlock = 64;
  const int blocks = (N + kRowsPerBlock - 1) / kRowsPerBlock;
  // Forking costs ~0.5 us: only worth it past ~100K multiply-adds.
  const bool parallel = static_cast<std::int64_t>(M) * N * K >= (1 << 17);
#pragma omp parallel for schedule(static) if (parallel)
  for (int b = 0; b < blocks; ++b) {
    const int row = b * kRowsPerBlock;
    const int rows = std::min(kRowsPerBlock, N - row);
    for (int m = 0; m < M; ++m)
      k.gemv(w + static_cast<std::size_t>(row) * K, x + static_cast<std::size_t>(m) * K,
             y + static_cast<std::size_t>(m) * N + row, rows, K);
  }
}

}  // namespace engine
