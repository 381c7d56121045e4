#include "attention/multi_head_attention.hpp"

#include <cmath>
#include <cstdint>

#include "engine/ops/masked_softmax.hpp"
#include "engine/runtime.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/onednn_matmul.hpp"

namespace engine {

namespace {

// A block of queries (prefill) as two matrix products per head through oneDNN: the scores of
// all T queries against every key, then the probabilities times the values. The row-wise path
// runs T dot-product loops per head at a small fraction of that rate; the products also compute
// the masked-out scores (about half of a causal block), which the softmax then zeroes.
void block_attention(const ModelConfig& c, const float* q, const float* keys, const float* values,
                     const Mask& mask, float* scores, float* out, float scale) {
  const int T = mask.rows(), n_keys = mask.cols();
  const int hs = c.head_size(), kv_dim = c.kv_dim(), group = c.kv_group();
  const std::int64_t score_row = static_cast<std::int64_t>(c.n_heads) * n_keys;
  for (int h = 0; h < c.n_heads; ++h)
    onednn_strided_matmul(T, hs, n_keys, q + h * hs, c.dim, keys + (h / group) * hs, 1, kv_dim,
                          scores + h * n_keys, score_row);
  const Isa isa = active_isa();
#pragma omp parallel for collapse(2) schedule(static)
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < c.n_heads; ++h) {
      const std::span<float> row(scores + t * score_row + h * n_keys, n_keys);
      // The range kernel zero-fills outside its range: every column is written either way.
      if (const auto range = mask.row_range(t))
        masked_softmax(row, *range, row, scale, isa);
      else
        masked_softmax(row, mask.row(t), row, scale, isa);
    }
  for (int h = 0; h < c.n_heads; ++h)
    onednn_strided_matmul(T, n_keys, hs, scores + h * n_keys, score_row, values + (h / group) * hs,
                          kv_dim, 1, out + h * hs, c.dim);
}

}  // namespace

void multi_head_attention(const ModelConfig& c, const float* q, const float* keys,
                          const float* values, const Mask& mask, float* scores, float* out) {
  const kernels::KernelTable& k = kernels::kernels();
  const Isa isa = active_isa();
  const int T = mask.rows(), n_keys = mask.cols();
  const int hs = c.head_size(), kv_dim = c.kv_dim(), group = c.kv_group();
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const std::int64_t work = static_cast<std::int64_t>(T) * c.n_heads * n_keys * hs;
  if (T >= kOneDnnMinRows && work >= kOneDnnMinWork && use_onednn())
    return block_attention(c, q, keys, values, mask, scores, out, scale);

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
