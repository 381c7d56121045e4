#include "ops/matmul.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ops/block_path.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/onednn_matmul.hpp"
#include "ops/panel_matmul.hpp"
#include "ops/parallel_chunks.hpp"
#include "ops/parallel_runs.hpp"
#include "ops/tile_layout.hpp"
#include "ops/weight_format.hpp"

namespace engine {
namespace {

// x converted once per call to what the weight formats' kernels take (bf16, or Q8 blocks), into
// `input` (only ever grown). A prompt block's x is split across the threads (on one, the other
// thread waited for its quantisation at every product); in a crew each member converts its own,
// as the decode steps' x is small.
void convert_input(const kernels::KernelTable& k, Parallel& parallel, ActivationType type,
                   const float* x, int M, int K, ConvertedInput& input) {
  const std::size_t n = static_cast<std::size_t>(M) * K;
  if (type == ActivationType::bf16 && input.bf16.size() < n) input.bf16.resize(n);
  if (type == ActivationType::q8 && input.q8.size() < n) {
    input.q8.resize(n);
    input.q8_scales.resize(n / 32);
    input.q8_sums16.resize(n / 16);
    input.q8_dsums32.resize(n / 32);
  }
  const auto convert = [&](std::size_t i, std::size_t count) {
    if (type == ActivationType::bf16) {
      k.to_bf16(x + i, input.bf16.data() + i, count);
    } else if (type == ActivationType::q8) {
      k.quantize_q8(x + i, input.q8.data() + i, input.q8_scales.data() + i / 32, count);
      k.q8_sums(input.q8.data() + i, input.q8_scales.data() + i / 32, count,
                input.q8_sums16.data() + i / 16, input.q8_dsums32.data() + i / 32);
    }
  };
  if (!parallel.forks()) return convert(0, n);
  for_chunks(parallel, n, convert);
}

// The per-row kernels take the weight rows in blocks of this many (one thread's unit of work);
// a block starts a layout tile.
constexpr int kRowsPerBlock = 64;
static_assert(kRowsPerBlock % kLayoutTileRows == 0);

// Whether a block of M rows times w takes the block path (panels or oneDNN).
bool block_path(const StepContext& step, const Matrix& w, int M) {
  return !weight_format(w.dtype).blocks_on_rows &&
         takes_block_path(step, M, static_cast<std::int64_t>(M) * w.rows * w.cols);
}

constexpr std::size_t kMaxProducts = 4;  // q, k, v; gate, up

// The per-row kernels for up to kMaxProducts products of one x (M, K), every w K wide: x
// converted once per weight type, then the weight rows of all the products, in blocks of 64,
// split across the threads in one fork, each streaming a contiguous run of blocks (across the
// matrices' boundaries): fewer, longer streams keep a decode step at the memory's rate.
void row_matmuls(const StepContext& step, const float* x, std::initializer_list<Product> products,
                 int M) {
  const kernels::KernelTable& k = kernels::kernels();
  // Each member of a crew converts x into its own (the session sized them for its crew).
  ConvertedInput& input = step.workspace.inputs[step.parallel.member()];
  const int K = products.begin()->w.cols;
  // Product i owns blocks [first[i], first[i + 1]).
  int first[kMaxProducts + 1] = {0};
  std::int64_t work = 0;
  std::size_t n = 0;
  for (const Product& p : products) {
    const ActivationType type = weight_format(p.w.dtype).activations;
    const bool converted =
        std::any_of(products.begin(), products.begin() + n,
                    [&](const Product& q) { return weight_format(q.w.dtype).activations == type; });
    if (!converted) convert_input(k, step.parallel, type, x, M, K, input);
    first[n + 1] = first[n] + (p.w.rows + kRowsPerBlock - 1) / kRowsPerBlock;
    work += static_cast<std::int64_t>(M) * p.w.rows * K;
    ++n;
  }
  const Activations in{x,
                       input.bf16.data(),
                       input.q8.data(),
                       input.q8_scales.data(),
                       input.q8_sums16.data(),
                       input.q8_dsums32.data()};
  const Product* const product = products.begin();
  for_each_in_runs(step.parallel, first[n], work >= kRowPathSplitWork, [&](int b) {
    std::size_t i = 0;
    while (b >= first[i + 1]) ++i;
    const Matrix& w = product[i].w;
    const int row = (b - first[i]) * kRowsPerBlock;
    weight_format(w.dtype).gemm_rows(k, w, row, std::min(kRowsPerBlock, w.rows - row), in,
                                     product[i].y, M);
  });
}

}  // namespace

void matmul(const StepContext& step, const float* x, const Matrix& w, float* y, int M) {
  if (!block_path(step, w, M)) return row_matmuls(step, x, {{w, y}}, M);
  if (w.panels) return panel_matmul(kernels::kernels(), step.workspace.panels, x, {{w, y}}, M);
  onednn_matmul(step.workspace.onednn, x, w, y, M);
}

void matmuls(const StepContext& step, const float* x, std::initializer_list<Product> products,
             int M) {
  if (products.size() == 0) return;
  const int K = products.begin()->w.cols;
  // Whether the products can share one pass and each w passes `predicate`.
  const auto all = [&](auto predicate) {
    return products.size() <= kMaxProducts &&
           std::all_of(products.begin(), products.end(),
                       [&](const Product& p) { return p.w.cols == K && predicate(p.w); });
  };
  if (all([&](const Matrix& w) { return !block_path(step, w, M); }))
    return row_matmuls(step, x, products, M);
  const DType dtype = products.begin()->w.dtype;
  if (all([&](const Matrix& w) { return w.panels && w.dtype == dtype && block_path(step, w, M); }))
    return panel_matmul(kernels::kernels(), step.workspace.panels, x, products, M);
  for (const Product& p : products) matmul(step, x, p.w, p.y, M);
}

void matrix_row(const Matrix& w, int row, float* out) {
  weight_format(w.dtype).load_rows(w, row, 1, out);
}

}  // namespace engine
