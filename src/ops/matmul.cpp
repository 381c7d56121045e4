#include "ops/matmul.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "engine/runtime.hpp"
#include "ops/half.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/onednn_matmul.hpp"
#include "ops/quantize.hpp"

namespace engine {
namespace {

// gemv over `rows` rows of w starting at `row`, whatever w's stored type.
void gemv_block(const kernels::KernelTable& k, const Matrix& w, int row, int rows, const float* x,
                float* y) {
  const std::size_t K = w.cols;
  switch (w.dtype) {
    case DType::f32:
      return k.gemv(static_cast<const float*>(w.data) + row * K, x, y, rows, K);
    case DType::bf16:
      return k.gemv_bf16(static_cast<const std::uint16_t*>(w.data) + row * K, x, y, rows, K);
    case DType::q8_0:
      return k.gemv_q8_0(static_cast<const std::uint8_t*>(w.data) + row * (K / 32 * 34), x, y, rows,
                         K);
    case DType::f16:
      return k.gemv_f16(static_cast<const std::uint16_t*>(w.data) + row * K, x, y, rows, K);
  }
}

}  // namespace

void matmul(const float* x, const Matrix& w, float* y, int M) {
  const std::int64_t work = static_cast<std::int64_t>(M) * w.rows * w.cols;
  // oneDNN forks its threads on every call; small blocks stay on the single-thread kernels.
  if (M >= kOneDnnMinRows && work >= kOneDnnMinWork && use_onednn())
    return onednn_matmul(x, w, y, M);
  const kernels::KernelTable& k = kernels::kernels();
  const int N = w.rows, K = w.cols;
  // Blocks of weight rows: each block stays in cache while every row of x passes over it.
  constexpr int kRowsPerBlock = 64;
  const int blocks = (N + kRowsPerBlock - 1) / kRowsPerBlock;
  // Forking costs ~0.5 us: only worth it past ~100K multiply-adds.
  const bool parallel = work >= (1 << 17);
#pragma omp parallel for schedule(static) if (parallel)
  for (int b = 0; b < blocks; ++b) {
    const int row = b * kRowsPerBlock;
    const int rows = std::min(kRowsPerBlock, N - row);
    for (int m = 0; m < M; ++m)
      gemv_block(k, w, row, rows, x + static_cast<std::size_t>(m) * K,
                 y + static_cast<std::size_t>(m) * N + row);
  }
}

void matrix_row(const Matrix& w, int row, float* out) {
  const std::size_t K = w.cols, r = row;
  switch (w.dtype) {
    case DType::f32:
      std::memcpy(out, static_cast<const float*>(w.data) + r * K, K * sizeof(float));
      return;
    case DType::bf16: {
      const std::uint16_t* p = static_cast<const std::uint16_t*>(w.data) + r * K;
      for (std::size_t i = 0; i < K; ++i) out[i] = bf16_to_f32(p[i]);
      return;
    }
    case DType::f16: {
      const std::uint16_t* p = static_cast<const std::uint16_t*>(w.data) + r * K;
      for (std::size_t i = 0; i < K; ++i) out[i] = f16_to_f32(p[i]);
      return;
    }
    case DType::q8_0:
      dequantize_row_q8_0(static_cast<const std::uint8_t*>(w.data) + r * (K / 32 * 34), out, K);
      return;
  }
}

}  // namespace engine
