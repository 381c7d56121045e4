#include "attention/multi_head_attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <omp.h>

#include "attention/soft_cap.hpp"
#include "ops/block_path.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/masked_softmax.hpp"
#include "ops/parallel_runs.hpp"

namespace engine {

namespace {

// Rows per pair of products: each chunk multiplies only the keys its rows may see, so a causal
// block skips all but a thin strip of its masked upper triangle (about half of the products).
constexpr int kChunkRows = 16;

// The scale the masked softmax folds in for scores [begin, end) of a row: the query-key scale,
// or 1 after soft-capping them (Gemma 2), which takes the scale inside its tanh, before the mask
// stage and the masked softmax.
float cap_scores(const ModelConfig& c, float* row, int begin, int end) {
  if (c.attention_softcap == 0) return c.score_scale();
  soft_cap(row + begin, static_cast<std::size_t>(end - begin), c.attention_softcap,
           c.score_scale());
  return 1.0f;
}

// The keys any of these rows may see, as one range (empty if none): a row of one range adds
// it, any other row every key.
RowRange keys_seen(std::span<const std::optional<RowRange>> ranges, int n_keys) {
  RowRange seen{n_keys, 0};
  for (const auto& range : ranges) {
    const RowRange r = range.value_or(RowRange{0, n_keys});
    if (r.begin < r.end) seen = {std::min(seen.begin, r.begin), std::max(seen.end, r.end)};
  }
  return seen;
}

// The keys of KV head `kv_head` the rows may see (`seen`), transposed into keys_t (head_size,
// n_keys): the scores kernel reads a vector of keys per element of the head.
void transpose_keys(const ModelConfig& c, int kv_head, const float* keys, RowRange seen, int n_keys,
                    float* keys_t) {
  const int hs = c.head_size(), kv_dim = c.kv_dim();
  const std::size_t kv_offset = static_cast<std::size_t>(kv_head) * hs;
  for (int j = seen.begin; j < seen.end; ++j)
    for (int d = 0; d < hs; ++d)
      keys_t[static_cast<std::size_t>(d) * n_keys + j] =
          keys[static_cast<std::size_t>(j) * kv_dim + kv_offset + d];
}

// One head of block_attention, chunk by chunk of rows: the scores against the keys the chunk's
// mask rows allow, the mask stage and masked softmax per row, then the probabilities times the
// values into the head's columns of out. keys_t: the head's KV head transposed
// (transpose_keys); raw: (kChunkRows, n_keys) scratch for one chunk's scores.
void head_attention(const ModelConfig& c, int h, const float* q, const float* keys_t,
                    const float* values, const Mask& mask,
                    std::span<const std::optional<RowRange>> ranges, float* raw, float* observed,
                    float* out) {
  const kernels::KernelTable& k = kernels::kernels();
  const Isa isa = active_isa();
  const int T = mask.rows(), n_keys = mask.cols();
  const int hs = c.head_size(), kv_dim = c.kv_dim(), dim = c.q_dim();
  const std::size_t kv_offset = static_cast<std::size_t>(h / c.kv_group()) * hs;
  for (int t0 = 0; t0 < T; t0 += kChunkRows) {
    const int t1 = std::min(T, t0 + kChunkRows);
    const auto [first, last] = keys_seen(ranges.subspan(t0, t1 - t0), n_keys);
    float* const chunk_out = out + static_cast<std::size_t>(t0) * dim + h * hs;
    if (first < last)
      k.attention_block_scores(q + static_cast<std::size_t>(t0) * dim + h * hs, dim, keys_t + first,
                               n_keys, t1 - t0, last - first, hs, raw + first, n_keys);
    for (int t = t0; t < t1; ++t) {
      const std::span<float> row(raw + static_cast<std::size_t>(t - t0) * n_keys, n_keys);
      // The range kernel zero-fills outside its range; the mask kernel reads only computed
      // scores (a row with gaps made the chunk's keys all keys) or masks all: every column
      // is written.
      const float scale = first < last ? cap_scores(c, row.data(), first, last) : 1.0f;
      if (ranges[t])
        masked_softmax(row, *ranges[t], row, scale, isa);
      else
        masked_softmax(row, mask.row(t), row, scale, isa);
      if (observed)
        std::copy(row.begin(), row.end(),
                  observed + (static_cast<std::size_t>(t) * c.n_heads + h) * n_keys);
    }
    if (first < last)
      k.attention_block_weighted_sum(raw + first, n_keys,
                                     values + static_cast<std::size_t>(first) * kv_dim + kv_offset,
                                     kv_dim, t1 - t0, last - first, hs, chunk_out, dim);
    else  // nothing to attend to: zeros, as the row path gives
      for (int t = t0; t < t1; ++t)
        std::fill_n(chunk_out + static_cast<std::size_t>(t - t0) * dim, hs, 0.0f);
  }
}

// A block of queries (prefill): per head, register-tiled products of the block's queries and
// the cache, where the row-wise path runs T dot-product loops per head at a fraction of the
// rate. The heads are split across threads (two forks per call: the mask's row ranges, then
// the heads); each thread's transposed keys and chunk scores stay in its core's cache, and a
// thread transposes a KV head's keys once for the consecutive query heads that share it.
// `observed` (null when nobody looks) receives the probabilities.
void block_attention(AttentionScratch& buffers, const ModelConfig& c, const float* q,
                     const float* keys, const float* values, const Mask& mask, float* observed,
                     float* out) {
  const int T = mask.rows(), n_keys = mask.cols(), group = c.kv_group();
  std::vector<std::optional<RowRange>>& ranges = buffers.ranges;  // (T) each mask row's range
  ranges.resize(T);
  // Per thread of the fork: (head_size, n_keys) transposed keys, then (kChunkRows, n_keys)
  // scores. Sized here, on the caller's thread: an allocation failure inside the parallel
  // region would terminate instead of throwing.
  const std::size_t per_thread = static_cast<std::size_t>(c.head_size() + kChunkRows) * n_keys;
  buffers.per_thread.resize(static_cast<std::size_t>(omp_get_max_threads()) * per_thread);
  float* const scratch = buffers.per_thread.data();
#pragma omp parallel for schedule(static)
  for (int t = 0; t < T; ++t) ranges[t] = mask.row_range(t);
  // Only the keys some row may see are transposed.
  const RowRange seen = keys_seen(ranges, n_keys);
#pragma omp parallel
  {
    float* const keys_t = scratch + static_cast<std::size_t>(omp_get_thread_num()) * per_thread;
    float* const raw = keys_t + static_cast<std::size_t>(c.head_size()) * n_keys;
    int transposed = -1;  // the KV head keys_t holds
#pragma omp for schedule(static)
    for (int h = 0; h < c.n_heads; ++h) {
      if (h / group != transposed) {
        transposed = h / group;
        transpose_keys(c, transposed, keys, seen, n_keys, keys_t);
      }
      head_attention(c, h, q, keys_t, values, mask, ranges, raw, observed, out);
    }
  }
}

// Query heads per item of the row path: all of a row's heads (one stream through its cache) when
// one thread runs them or there are rows enough to share out, else runs of whole KV groups, so
// that a step of few rows still keeps every thread busy (two items per thread at least).
int heads_per_item(const ModelConfig& c, int rows, int threads) {
  if (threads <= 1 || rows >= 2 * threads) return c.n_heads;
  const int runs = std::min(c.n_kv_heads, (2 * threads + rows - 1) / rows);
  return (c.n_kv_heads + runs - 1) / runs * c.kv_group();
}

// Decode and small blocks, row by row, every block's rows in one parallel loop: one item per
// row and run of heads (heads_per_item), on the step's threads (a decode step's crew shares them
// whatever the work; on OpenMP a fork pays from ~8K multiply-adds: the keys and values come from
// memory, not the caches). Scores: (rows, n_heads, the most keys of a block).
void row_attention(const StepContext& step, const ModelConfig& c,
                   std::span<const AttentionBlock> blocks, float* scores) {
  const kernels::KernelTable& k = kernels::kernels();
  const Isa isa = active_isa();
  const int hs = c.head_size(), kv_dim = c.kv_dim(), group = c.kv_group(), q_dim = c.q_dim();
  int rows = 0, ld = 0;
  std::int64_t work = 0;
  for (const AttentionBlock& b : blocks) {
    rows += b.mask->rows();
    ld = std::max(ld, b.mask->cols());
    work += static_cast<std::int64_t>(b.mask->rows()) * c.n_heads * b.mask->cols() * hs;
  }
  const int threads = step.parallel.forks() ? omp_get_max_threads() : step.parallel.members();
  const int per_item = heads_per_item(c, rows, threads);
  const int items_per_row = (c.n_heads + per_item - 1) / per_item;
  for_each_in_runs(step.parallel, rows * items_per_row, work >= (1 << 13), [&](int item) {
    const int row = item / items_per_row, h0 = item % items_per_row * per_item;
    const int heads = std::min(per_item, c.n_heads - h0);
    std::size_t i = 0;
    int t = row;
    for (; t >= blocks[i].mask->rows(); ++i) t -= blocks[i].mask->rows();
    const AttentionBlock& b = blocks[i];
    const int n_keys = b.mask->cols();
    const std::size_t kv_offset = static_cast<std::size_t>(h0 / group) * hs;
    float* s = scores + (static_cast<std::size_t>(row) * c.n_heads + h0) * ld;

    // Mask stage: a contiguous row reads only its range of keys; any other mask computes
    // the allowed scores and lets the masked softmax zero the rest.
    const auto range = b.mask->row_range(t);
    const int begin = range ? range->begin : 0, end = range ? range->end : n_keys;
    k.attention_scores(b.q + static_cast<std::size_t>(t) * q_dim + h0 * hs,
                       b.keys + static_cast<std::size_t>(begin) * kv_dim + kv_offset, kv_dim,
                       end - begin, hs, heads, group, s + begin, ld);
    for (int h = 0; h < heads; ++h) {
      const std::span<float> head_row(s + static_cast<std::size_t>(h) * ld, n_keys);
      const float scale = cap_scores(c, head_row.data(), begin, end);
      if (range)
        masked_softmax(head_row, *range, head_row, scale, isa);
      else
        masked_softmax(head_row, b.mask->row(t), head_row, scale, isa);
    }
    k.attention_weighted_sum(
        s + begin, ld, b.values + static_cast<std::size_t>(begin) * kv_dim + kv_offset, kv_dim,
        end - begin, hs, heads, group, b.out + static_cast<std::size_t>(t) * q_dim + h0 * hs);
  });
}

}  // namespace

void multi_head_attention(const StepContext& step, const ModelConfig& c, const float* q,
                          const float* keys, const float* values, const Mask& mask, float* scores,
                          float* out, bool observed) {
  const std::int64_t work =
      static_cast<std::int64_t>(mask.rows()) * c.n_heads * mask.cols() * c.head_size();
  // The block kernels sum in another order than the rows: they follow the linear layers' block
  // path, whose gemv choice keeps a block bit-for-bit the sums of a token-by-token run.
  if (takes_block_path(step, mask.rows(), work))
    return block_attention(step.workspace.attention, c, q, keys, values, mask,
                           observed ? scores : nullptr, out);
  const AttentionBlock block{.q = q, .keys = keys, .values = values, .mask = &mask, .out = out};
  row_attention(step, c, {&block, 1}, scores);
}

void multi_sequence_attention(const StepContext& step, const ModelConfig& c,
                              std::span<const AttentionBlock> blocks, float* scores) {
  row_attention(step, c, blocks, scores);
}

}  // namespace engine
