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
#include "ops/parallel_runs.hpp"
#include "ops/quantize.hpp"
#include "ops/tile_layout.hpp"

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

// The per-row kernels take the weight rows in blocks of this many (one thread's unit of work);
// a block starts a layout tile.
constexpr int kRowsPerBlock = 64;
static_assert(kRowsPerBlock % kLayoutTileRows == 0);

// Where row `row` of a tiled matrix of values (T) K wide starts, in values.
template <typename T>
std::size_t tile_offset_of(const T*, std::size_t K, std::size_t row) {
  return tile_offset<T>(tile_groups<T>(K), row, 0);
}

// Rows [row, row + rows) of y (M, w.rows) for x as convert_input left it.
void gemm_block(const kernels::KernelTable& k, const Matrix& w, int row, int rows, const float* x,
                const ConvertedInput& in, float* y, int M) {
  const std::size_t K = w.cols, N = w.rows;
  const auto tiled = [&](auto* values) { return values + tile_offset_of(values, K, row); };
  switch (w.dtype) {
    case DType::f32:
      return k.gemm(tiled(static_cast<const float*>(w.data)), x, y + row, rows, K, M, N);
    case DType::bf16:
      return k.gemm_bf16(tiled(static_cast<const std::uint16_t*>(w.data)), in.bf16.data(), y + row,
                         rows, K, M, N);
    case DType::q8_0: {
      const Q8TiledParts parts = q8_tiled_parts(w.data, N, K);
      const std::size_t first = q8_tile_slot(q8_tile_pairs(K), row, 0);
      return k.gemm_q8_0(parts.quants + first * kQ8Block, parts.scales + first, in.q8.data(),
                         in.q8_scales.data(), y + row, rows, K, M, N);
    }
    case DType::f16:
      return k.gemm_f16(tiled(static_cast<const std::uint16_t*>(w.data)), x, y + row, rows, K, M,
                        N);
  }
}

// Whether a block of M rows times w takes the block path (panels or oneDNN).
bool block_path(const Matrix& w, int M) {
  return takes_block_path(M, static_cast<std::int64_t>(M) * w.rows * w.cols);
}

constexpr std::size_t kMaxProducts = 4;  // q, k, v; gate, up

// The per-row kernels for up to kMaxProducts products of one x (M, K), every w K wide: x
// converted once per weight type, then the weight rows of all the products, in blocks of 64,
// split across the threads in one fork, each streaming a contiguous run of blocks (across the
// matrices' boundaries): fewer, longer streams keep a decode step at the memory's rate.
void row_matmuls(const float* x, std::initializer_list<Product> products, int M) {
  const kernels::KernelTable& k = kernels::kernels();
  const int K = products.begin()->w.cols;
  // Product i owns blocks [first[i], first[i + 1]).
  int first[kMaxProducts + 1] = {0};
  std::int64_t work = 0;
  std::size_t n = 0;
  for (const Product& p : products) {
    const bool converted = std::any_of(products.begin(), products.begin() + n,
                                       [&](const Product& q) { return q.w.dtype == p.w.dtype; });
    if (!converted) convert_input(k, p.w.dtype, x, M, K);
    first[n + 1] = first[n] + (p.w.rows + kRowsPerBlock - 1) / kRowsPerBlock;
    work += static_cast<std::int64_t>(M) * p.w.rows * K;
    ++n;
  }
  // The thread-local scratch is this thread's (the caller's, or in a crew each member's own,
  // converted by each): take it here, not inside an OpenMP loop.
  const ConvertedInput& in = t_input;
  const Product* const product = products.begin();
  for_each_in_runs(first[n], work >= kRowPathSplitWork, [&](int b) {
    std::size_t i = 0;
    while (b >= first[i + 1]) ++i;
    const Matrix& w = product[i].w;
    const int row = (b - first[i]) * kRowsPerBlock;
    gemm_block(k, w, row, std::min(kRowsPerBlock, w.rows - row), x, in, product[i].y, M);
  });
}

}  // namespace

void matmul(const float* x, const Matrix& w, float* y, int M) {
  if (!block_path(w, M)) return row_matmuls(x, {{w, y}}, M);
  if (w.panels) return panel_matmul(kernels::kernels(), x, {{w, y}}, M);
  onednn_matmul(x, w, y, M);
}

void matmuls(const float* x, std::initializer_list<Product> products, int M) {
  if (products.size() == 0) return;
  const int K = products.begin()->w.cols;
  // Whether the products can share one pass and each w passes `predicate`.
  const auto all = [&](auto predicate) {
    return products.size() <= kMaxProducts &&
           std::all_of(products.begin(), products.end(),
                       [&](const Product& p) { return p.w.cols == K && predicate(p.w); });
  };
  if (all([&](const Matrix& w) { return !block_path(w, M); })) return row_matmuls(x, products, M);
  const DType dtype = products.begin()->w.dtype;
  if (all([&](const Matrix& w) { return w.panels && w.dtype == dtype && block_path(w, M); }))
    return panel_matmul(kernels::kernels(), x, products, M);
  for (const Product& p : products) matmul(x, p.w, p.y, M);
}

void matrix_row(const Matrix& w, int row, float* out) {
  const std::size_t K = w.cols, r = row;
  // Row r of 16-bit values in tiles, group by group, each value widened by `widen`.
  const auto widen_row = [&](auto widen) {
    constexpr std::size_t G = kGroupValues<std::uint16_t>;
    const std::size_t groups = tile_groups<std::uint16_t>(K);
    const auto* tiled = static_cast<const std::uint16_t*>(w.data);
    for (std::size_t c = 0; c < K; c += G) {
      const std::uint16_t* group = tiled + tile_offset<std::uint16_t>(groups, r, c);
      for (std::size_t i = 0; i < std::min(G, K - c); ++i) out[c + i] = widen(group[i]);
    }
  };
  switch (w.dtype) {
    case DType::f32:
      return load_rows_tiled(static_cast<const float*>(w.data), r, 1, K, out);
    case DType::bf16:
      return widen_row(bf16_to_f32);
    case DType::f16:
      return widen_row(f16_to_f32);
    case DType::q8_0:
      dequantize_rows_q8_0_tiled(w.data, r, 1, w.rows, K, out);
      return;
  }
}

}  // namespace engine
