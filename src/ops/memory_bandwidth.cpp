#include "engine/ops/memory_bandwidth.hpp"

#include <omp.h>

#include <algorithm>
#include <functional>
#include <span>
#include <vector>

#include "ops/kernels/kernel_table.hpp"
#include "util/huge_page_buffer.hpp"

namespace engine {

double measure_read_bandwidth_gbps(const std::function<double()>& seconds) {
  // Read the way decode reads weights: GEMV over a (rows, 4096) matrix, several rows at once.
  // 128 MB, four times a large L3: bench runs this before it loads the model, so a larger buffer
  // would set the run's peak RSS for a small model instead of the model.
  constexpr std::size_t kCols = 4096, kRows = (128u << 20) / sizeof(float) / kCols;
  constexpr std::size_t kRowsPerChunk = 16;
  // On the memory the weights a load converts or packs live in (huge pages): the best streaming
  // read this machine gives, the limit a decode step is held to. Written once, so every page is
  // really mapped.
  HugePageBuffer buffer(kRows * kCols * sizeof(float));
  const std::span<float> matrix(reinterpret_cast<float*>(buffer.data()), kRows * kCols);
  std::fill(matrix.begin(), matrix.end(), 1.0f);
  const std::vector<float> x(kCols, 1.0f);
  std::vector<float> y(kRows);
  const kernels::KernelTable& k = kernels::kernels();
  double best = 0.0;
  for (int rep = 0; rep < 3; ++rep) {
    const double start = seconds();
#pragma omp parallel for schedule(static)
    for (std::size_t r = 0; r < kRows; r += kRowsPerChunk)
      k.gemm(matrix.data() + r * kCols, x.data(), y.data() + r, kRowsPerChunk, kCols, 1, kRows);
    const double elapsed = seconds() - start;
    if (y[kRows - 1] == static_cast<float>(kCols))  // the reads really happened
      best = std::max(best, matrix.size() * sizeof(float) / elapsed / 1e9);
  }
  return best;
}

}  // namespace engine
