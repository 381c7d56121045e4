#include "ops/matmul.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "engine/error.hpp"
#include "ops/kernels/kernel_table.hpp"

namespace engine {
namespace {

[[noreturn]] void unsupported(DType dtype) {
  throw Error(ErrorCode::unsupported,
              fmt::format("no kernels for {} weights yet", dtype_name(dtype)));
}

}  // namespace

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "f32";
    case DType::f16:
      return "f16";
    case DType::bf16:
      return "bf16";
    case DType::q8_0:
      return "q8_0";
  }
  return "?";
}

void matmul(const float* x, const Matrix& w, float* y, int M) {
  if (w.dtype != DType::f32) unsupported(w.dtype);
  const kernels::KernelTable& k = kernels::kernels();
  const int N = w.rows, K = w.cols;
  const float* weights = static_cast<const float*>(w.data);
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
      k.gemv(weights + static_cast<std::size_t>(row) * K, x + static_cast<std::size_t>(m) * K,
             y + static_cast<std::size_t>(m) * N + row, rows, K);
  }
}

void matrix_row(const Matrix& w, int row, float* out) {
  if (w.dtype != DType::f32) unsupported(w.dtype);
  std::memcpy(out, static_cast<const float*>(w.data) + static_cast<std::size_t>(row) * w.cols,
              w.cols * sizeof(float));
}

}  // namespace engine
