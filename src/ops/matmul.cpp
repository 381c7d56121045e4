#include "ops/matmul.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/runtime.hpp"
#include "ops/block_path.hpp"
#include "ops/half.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/onednn_matmul.hpp"
#include "ops/panel_matmul.hpp"
#include "ops/quantize.hpp"

namespace engine {
namespace {

// x converted once per call to what the weight type's kernel takes (bf16, or Q8 blocks).
// Per thread and only ever grown, so a decode step allocates nothing once warmed up.
struct ConvertedInput {
  std::vector<std::uint16_t> bf16;  // (M, K)
  std::vector<std::int8_t> q8;      // (M, K)
  std::vector<float> q8_scales;     // (M, K / 32)
};
thread_local ConvertedInput t_input;

void convert_input(const kernels::KernelTable& k, DType dtype, const float* x, int M, int K) {
  const std::size_t n = static_cast<std::size_t>(M) * K;
  if (dtype == DType::bf16) {
    if (t_input.bf16.size() < n) t_input.bf16.resize(n);
    k.to_bf16(x, t_input.bf16.data(), n);
  } else if (dtype == DType::q8_0) {
    if (t_input.q8.size() < n) {
      t_input.q8.resize(n);
      t_input.q8_scales.resize(n / 32);
    }
    k.quantize_q8(x, t_input.q8.data(), t_input.q8_scales.data(), n);
  }
}

// Rows [row, row + rows) of y (M, w.rows) for x as convert_input left it.
void gemm_block(const kernels::KernelTable& k, const Matrix& w, int row, int rows, const float* x,
                const ConvertedInput& in, float* y, int M) {
  const std::size_t K = w.cols, N = w.rows;
  switch (w.dtype) {
    case DType::f32:
      return k.gemm(static_cast<const float*>(w.data) + row * K, x, y + row, rows, K, M, N);
    case DType::bf16:
      return k.gemm_bf16(static_cast<const std::uint16_t*>(w.data) + row * K, in.bf16.data(),
                         y + row, rows, K, M, N);
    case DType::q8_0:
      return k.gemm_q8_0(static_cast<const std::uint8_t*>(w.data) + row * (K / 32 * 34),
                         in.q8.data(), in.q8_scales.data(), y + row, rows, K, M, N);
    case DType::f16:
      return k.gemm_f16(static_cast<const std::uint16_t*>(w.data) + row * K, x, y + row, rows, K, M,
                        N);
  }
}

// Whether a block of M rows times w takes the block path (panels or oneDNN).
bool block_path(const Matrix& w, int M) {
  return takes_block_path(M, static_cast<std::int64_t>(M) * w.rows * w.cols);
}

}  // namespace

void matmul(const float* x, const Matrix& w, float* y, int M) {
  const kernels::KernelTable& k = kernels::kernels();
  if (block_path(w, M)) {
    if (w.panels) return panel_matmul(k, x, {{w, y}}, M);
    return onednn_matmul(x, w, y, M);
  }
  const std::int64_t work = static_cast<std::int64_t>(M) * w.rows * w.cols;
  const int N = w.rows, K = w.cols;
  convert_input(k, w.dtype, x, M, K);
  // The thread-local scratch is the caller's: take it here, not inside the parallel loop.
  const ConvertedInput& in = t_input;
  // Blocks of weight rows, each read once while all M rows of x pass over it.
  constexpr int kRowsPerBlock = 64;
  const int blocks = (N + kRowsPerBlock - 1) / kRowsPerBlock;
  // Forking costs ~0.5 us: only worth it past ~100K multiply-adds.
  const bool parallel = work >= (1 << 17);
#pragma omp parallel for schedule(static) if (parallel)
  for (int b = 0; b < blocks; ++b) {
    const int row = b * kRowsPerBlock;
    gemm_block(k, w, row, std::min(kRowsPerBlock, N - row), x, in, y, M);
  }
}

void matmuls(const float* x, std::initializer_list<Product> products, int M) {
  // panel_matmul takes up to 4 products of one x (q, k, v; gate, up).
  bool panels = products.size() <= 4;
  for (const Product& p : products)
    panels = panels && p.w.panels && p.w.cols == products.begin()->w.cols && block_path(p.w, M);
  if (panels) return panel_matmul(kernels::kernels(), x, products, M);
  for (const Product& p : products) matmul(x, p.w, p.y, M);
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
