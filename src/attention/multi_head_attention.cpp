#include "attention/multi_head_attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/ops/masked_softmax.hpp"
#include "engine/runtime.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/onednn_matmul.hpp"

namespace engine {

namespace {

// Scratch of block_attention, per thread, only ever grown (decode never runs it): the products
// of the scores run on dense copies, which oneDNN multiplies several times faster than strided
// views of the block and the cache.
struct BlockScratch {
  std::vector<float> queries;                   // (n_heads, T, head_size)
  std::vector<float> keys;                      // (kv_dim, n_keys): each kv head's keys transposed
  std::vector<float> values;                    // (n_kv_heads, n_keys, head_size)
  std::vector<float> scores;                    // (n_heads, T, n_keys) raw
  std::vector<std::optional<RowRange>> ranges;  // (T) each mask row's range, if it is one
};
thread_local BlockScratch t_scratch;

// A block of queries (prefill) as two matrix products per head through oneDNN: the scores of
// all T queries against the keys any row may see, then the probabilities times the values. The
// row-wise path runs T dot-product loops per head at a small fraction of that rate; the products
// also compute the masked-out scores (about half of a causal block), which the softmax then
// zeroes. `observed` (null when nobody looks) receives the probabilities.
void block_attention(const ModelConfig& c, const float* q, const float* keys, const float* values,
                     const Mask& mask, float* observed, float* out, float scale) {
  const std::size_t T = mask.rows(), n_keys = mask.cols();
  const std::size_t hs = c.head_size(), kv_dim = c.kv_dim(), dim = c.dim, H = c.n_heads;
  const int group = c.kv_group();
  BlockScratch& scratch = t_scratch;
  scratch.queries.resize(H * T * hs);
  scratch.keys.resize(kv_dim * n_keys);
  scratch.values.resize(kv_dim * n_keys);
  scratch.scores.resize(H * T * n_keys);
  scratch.ranges.resize(T);
  float* const q_heads = scratch.queries.data();
  float* const keys_t = scratch.keys.data();
  float* const v_heads = scratch.values.data();
  float* const raw = scratch.scores.data();
  std::optional<RowRange>* const ranges = scratch.ranges.data();
#pragma omp parallel for schedule(static)
  for (std::size_t t = 0; t < T; ++t) ranges[t] = mask.row_range(static_cast<int>(t));
  // The keys any row may see, [begin, end): a row of one range adds it, any other row all.
  std::size_t begin = n_keys, end = 0;
  for (std::size_t t = 0; t < T; ++t) {
    const RowRange r = ranges[t].value_or(RowRange{0, static_cast<int>(n_keys)});
    if (r.begin < r.end) {
      begin = std::min<std::size_t>(begin, r.begin);
      end = std::max<std::size_t>(end, r.end);
    }
  }
#pragma omp parallel for schedule(static)
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t h = 0; h < H; ++h)
      std::copy_n(q + t * dim + h * hs, hs, q_heads + (h * T + t) * hs);
#pragma omp parallel for schedule(static)
  for (std::size_t j = begin; j < end; ++j)
    for (std::size_t g = 0; g < kv_dim / hs; ++g)
      std::copy_n(values + j * kv_dim + g * hs, hs, v_heads + (g * n_keys + j) * hs);
#pragma omp parallel for schedule(static)
  for (std::size_t d = 0; d < kv_dim; ++d)
    for (std::size_t j = begin; j < end; ++j) keys_t[d * n_keys + j] = keys[j * kv_dim + d];
  if (begin < end)
    for (std::size_t h = 0; h < H; ++h)
      onednn_strided_matmul(T, hs, end - begin, q_heads + h * T * hs, hs,
                            keys_t + (h / group) * hs * n_keys + begin, n_keys, 1,
                            raw + h * T * n_keys + begin, n_keys);
  const Isa isa = active_isa();
#pragma omp parallel for schedule(static)
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t h = 0; h < H; ++h) {
      const std::span<float> row(raw + (h * T + t) * n_keys, n_keys);
      // The range kernel zero-fills outside its range; the mask kernel reads only computed
      // scores (a row with gaps made [begin, end) every key) or masks all: every column is
      // written.
      if (ranges[t])
        masked_softmax(row, *ranges[t], row, scale, isa);
      else
        masked_softmax(row, mask.row(static_cast<int>(t)), row, scale, isa);
      if (observed) std::copy(row.begin(), row.end(), observed + (t * H + h) * n_keys);
    }
  if (begin < end)
    for (std::size_t h = 0; h < H; ++h)
      onednn_strided_matmul(T, end - begin, hs, raw + h * T * n_keys + begin, n_keys,
                            v_heads + ((h / group) * n_keys + begin) * hs, hs, 1,
                            q_heads + h * T * hs, hs);
  else  // nothing to attend to: zeros, as the row path gives
    std::fill(scratch.queries.begin(), scratch.queries.end(), 0.0f);
    // The heads' outputs (in the queries' scratch, which they are done with) back into rows.
#pragma omp parallel for schedule(static)
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t h = 0; h < H; ++h)
      std::copy_n(q_heads + (h * T + t) * hs, hs, out + t * dim + h * hs);
}

}  // namespace

void multi_head_attention(const ModelConfig& c, const float* q, const float* keys,
                          const float* values, const Mask& mask, float* scores, float* out,
                          bool observed) {
  const kernels::KernelTable& k = kernels::kernels();
  const Isa isa = active_isa();
  const int T = mask.rows(), n_keys = mask.cols();
  const int hs = c.head_size(), kv_dim = c.kv_dim(), group = c.kv_group();
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const std::int64_t work = static_cast<std::int64_t>(T) * c.n_heads * n_keys * hs;
  if (T >= kOneDnnMinRows && work >= kOneDnnMinWork && use_onednn())
    return block_attention(c, q, keys, values, mask, observed ? scores : nullptr, out, scale);

#pragma omp parallel for collapse(2) schedule(static) if (work >= (1 << 17))
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < c.n_heads; ++h) {
      const float* qh = q + static_cast<std::size_t>(t) * c.dim + h * hs;
      const std::size_t kv_offset = static_cast<std::size_t>(h / group) * hs;
      float* s = scores + (static_cast<std::size_t>(t) * c.n_heads + h) * n_keys;
      float* o = out + static_cast<std::size_t>(t) * c.dim + h * hs;
      const std::span<float> row(s, n_keys);

      // Mask stage: a contiguous row reads only its range of keys; any other mask computes
      // the allowed scores and lets the masked softmax zero the rest.
      const auto range = mask.row_range(t);
      if (range) {
        const int n = range->end - range->begin;
        k.attention_scores(qh, keys + static_cast<std::size_t>(range->begin) * kv_dim + kv_offset,
                           kv_dim, n, hs, s + range->begin);
        masked_softmax(row, *range, row, scale, isa);
      } else {
        k.attention_scores(qh, keys + kv_offset, kv_dim, n_keys, hs, s);
        masked_softmax(row, mask.row(t), row, scale, isa);
      }
      const int begin = range ? range->begin : 0, end = range ? range->end : n_keys;
      k.attention_weighted_sum(s + begin,
                               values + static_cast<std::size_t>(begin) * kv_dim + kv_offset,
                               kv_dim, end - begin, hs, o);
    }
}

}  // namespace engine
