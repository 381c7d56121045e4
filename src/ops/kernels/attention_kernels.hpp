// The two halves of attention around the softmax, over keys/values stored one row per
// position with a stride (the KV cache interleaves heads): written once against Vec.
#pragma once

#include <cstddef>

/// out[j] = dot(q, keys + j*stride) for j in [0, n): one query head against n cached keys.
inline void attention_scores(const float* q, const float* keys, std::size_t stride, std::size_t n,
                             std::size_t head_size, float* out) {
  constexpr std::size_t W = Vec::kWidth;
  if (head_size <= W) {  // small heads: the query stays in one register
    const Vec::Reg qv = load_n(q, head_size, 0.0f);
    for (std::size_t j = 0; j < n; ++j)
      out[j] = Vec::reduce_add(Vec::mul(qv, load_n(keys + j * stride, head_size, 0.0f)));
    return;
  }
  for (std::size_t j = 0; j < n; ++j) out[j] = dot(q, keys + j * stride, head_size);
}

/// out = sum_j p[j] * (values + j*stride) for j in [0, n); positions with p[j] == 0 (masked)
/// are skipped, so they cost nothing and cannot leak anything.
inline void attention_weighted_sum(const float* p, const float* values, std::size_t stride,
                                   std::size_t n, std::size_t head_size, float* out) {
  constexpr std::size_t W = Vec::kWidth;
  // The output chunk is accumulated in a register across all positions.
  for (std::size_t c = 0; c < head_size; c += W) {
    const std::size_t len = head_size - c < W ? head_size - c : W;
    Vec::Reg acc = Vec::zero();
    for (std::size_t j = 0; j < n; ++j)
      if (p[j] != 0.0f)
        acc = Vec::fmadd(Vec::set1(p[j]), load_n(values + j * stride + c, len, 0.0f), acc);
    store_n(out + c, acc, len);
  }
}
