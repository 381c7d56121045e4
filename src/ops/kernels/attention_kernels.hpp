// The two halves of attention around the softmax, over keys/values stored one row per
// position with a stride (the KV cache interleaves heads): written once against Vec.
#pragma once

#include <cstddef>

// The decode kernels take a run of query heads of one query row at once and walk the cache
// position by position, reading each cached row's slices of those heads together: one stream
// through the cache per call rather than a short strided one per head, which the hardware
// prefetchers follow far better. Query head i of the run reads KV head i / group of the run
// (the run starts a group).

/// One score: the dot product of a query head and a key, head_size long.
inline float attention_score(const float* q, const float* key, std::size_t head_size) {
  if (head_size > Vec::kWidth) return dot(q, key, head_size);
  // Small heads: one register each.
  return Vec::reduce_add(Vec::mul(load_n(q, head_size, 0.0f), load_n(key, head_size, 0.0f)));
}

/// out[i*ldo + j] = dot(q + i*head_size, keys + j*stride + (i / group)*head_size) for i < heads,
/// j < n: `heads` query heads against n cached keys.
inline void attention_scores(const float* q, const float* keys, std::size_t stride, std::size_t n,
                             std::size_t head_size, std::size_t heads, std::size_t group,
                             float* out, std::size_t ldo) {
  for (std::size_t j = 0; j < n; ++j) {
    const float* key = keys + j * stride;
    for (std::size_t i = 0; i < heads; ++i)
      out[i * ldo + j] = attention_score(q + i * head_size, key + i / group * head_size, head_size);
  }
}

/// out + i*head_size = sum_j p[i*ldp + j] * (values + j*stride + (i / group)*head_size) for
/// i < heads, j < n, in order of j; positions with p == 0 (masked) are skipped, so they cost
/// nothing and cannot leak anything. The sums build up in out (in L1), a fused multiply-add per
/// position as an accumulator in a register would, so every lane's sum is the same.
inline void attention_weighted_sum(const float* p, std::size_t ldp, const float* values,
                                   std::size_t stride, std::size_t n, std::size_t head_size,
                                   std::size_t heads, std::size_t group, float* out) {
  constexpr std::size_t W = Vec::kWidth;
  const std::size_t width = heads * head_size;
  for (std::size_t c = 0; c < width; c += W)
    store_n(out + c, Vec::zero(), width - c < W ? width - c : W);
  for (std::size_t j = 0; j < n; ++j) {
    const float* row = values + j * stride;
    for (std::size_t i = 0; i < heads; ++i) {
      if (p[i * ldp + j] == 0.0f) continue;
      const Vec::Reg pj = Vec::set1(p[i * ldp + j]);
      const float* v = row + i / group * head_size;
      float* o = out + i * head_size;
      for (std::size_t c = 0; c < head_size; c += W) {
        const std::size_t len = head_size - c < W ? head_size - c : W;
        store_n(o + c, Vec::fmadd(pj, load_n(v + c, len, 0.0f), load_n(o + c, len, 0.0f)), len);
      }
    }
  }
}

// A block of query rows (prefill) against a head's keys and values, register-tiled: each tile
// keeps kAttentionTileRows rows of outputs in registers and reads every key or value vector once
// for them.
constexpr std::size_t kAttentionTileRows = 4;

// The n <= kWidth floats at p + at, zeros past them; with n == 0 no address is formed (it could
// lie past the end of the row's buffer).
inline Vec::Reg load_tail(const float* p, std::size_t at, std::size_t n) {
  return n ? load_n(p + at, n, 0.0f) : Vec::zero();
}

// One tile of attention_block_scores: R rows by the `len` <= 2 * kWidth keys from `keys_t`.
template <std::size_t R>
inline void block_scores_tile(const float* q, std::size_t ldq, const float* keys_t, std::size_t ldk,
                              std::size_t len, std::size_t head_size, float* out, std::size_t ldo) {
  constexpr std::size_t W = Vec::kWidth;
  const std::size_t len0 = len < W ? len : W, len1 = len - len0;
  Vec::Reg acc[R][2];
  for (std::size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = Vec::zero();
  const auto accumulate = [&](auto load) {
    for (std::size_t d = 0; d < head_size; ++d) {
      const float* k = keys_t + d * ldk;
      const Vec::Reg k0 = load(k, 0, len0), k1 = load(k, W, len1);
      for (std::size_t r = 0; r < R; ++r) {
        const Vec::Reg qv = Vec::set1(q[r * ldq + d]);
        acc[r][0] = Vec::fmadd(qv, k0, acc[r][0]);
        acc[r][1] = Vec::fmadd(qv, k1, acc[r][1]);
      }
    }
  };
  if (len == 2 * W)
    accumulate([](const float* p, std::size_t at, std::size_t) { return Vec::load(p + at); });
  else
    accumulate(load_tail);
  for (std::size_t r = 0; r < R; ++r) {
    store_n(out + r * ldo, acc[r][0], len0);
    if (len1) store_n(out + r * ldo + W, acc[r][1], len1);
  }
}

/// out[t*ldo + j] = dot(q row t, key j) for t < rows, j < n, with q(t, d) = q[t*ldq + d] and
/// the keys transposed: key j's element d at keys_t[d*ldk + j].
inline void attention_block_scores(const float* q, std::size_t ldq, const float* keys_t,
                                   std::size_t ldk, std::size_t rows, std::size_t n,
                                   std::size_t head_size, float* out, std::size_t ldo) {
  constexpr std::size_t W = Vec::kWidth;
  for (std::size_t j = 0; j < n; j += 2 * W) {
    const std::size_t len = n - j < 2 * W ? n - j : 2 * W;
    std::size_t t = 0;
    for (; t + kAttentionTileRows <= rows; t += kAttentionTileRows)
      block_scores_tile<kAttentionTileRows>(q + t * ldq, ldq, keys_t + j, ldk, len, head_size,
                                            out + t * ldo + j, ldo);
    for (; t < rows; ++t)
      block_scores_tile<1>(q + t * ldq, ldq, keys_t + j, ldk, len, head_size, out + t * ldo + j,
                           ldo);
  }
}

// Value vectors per tile of attention_block_weighted_sum: what leaves registers for the
// kAttentionTileRows broadcasts and the loads.
constexpr std::size_t kBlockValueVectors = Vec::kRegisters >= 32 ? 4 : 2;

// One tile of attention_block_weighted_sum: R rows by the `len` <= C * kWidth columns of the
// values from `values`.
template <std::size_t R>
inline void block_weighted_sum_tile(const float* p, std::size_t ldp, const float* values,
                                    std::size_t ldv, std::size_t n, std::size_t len, float* out,
                                    std::size_t ldo) {
  constexpr std::size_t W = Vec::kWidth, C = kBlockValueVectors;
  std::size_t lens[C];
  for (std::size_t c = 0; c < C; ++c)
    lens[c] = len > c * W ? (len - c * W < W ? len - c * W : W) : 0;
  Vec::Reg acc[R][C];
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c = 0; c < C; ++c) acc[r][c] = Vec::zero();
  const auto accumulate = [&](auto load) {
    for (std::size_t j = 0; j < n; ++j) {
      Vec::Reg v[C];
      for (std::size_t c = 0; c < C; ++c) v[c] = load(values + j * ldv, c * W, lens[c]);
      for (std::size_t r = 0; r < R; ++r) {
        const Vec::Reg pv = Vec::set1(p[r * ldp + j]);
        for (std::size_t c = 0; c < C; ++c) acc[r][c] = Vec::fmadd(pv, v[c], acc[r][c]);
      }
    }
  };
  if (len == C * W)
    accumulate([](const float* x, std::size_t at, std::size_t) { return Vec::load(x + at); });
  else
    accumulate(load_tail);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c = 0; c < C; ++c)
      if (lens[c]) store_n(out + r * ldo + c * W, acc[r][c], lens[c]);
}

/// out[t*ldo + c] = sum_j p[t*ldp + j] * values[j*ldv + c] for t < rows, c < head_size, j < n:
/// a block's probabilities times a head's values.
inline void attention_block_weighted_sum(const float* p, std::size_t ldp, const float* values,
                                         std::size_t ldv, std::size_t rows, std::size_t n,
                                         std::size_t head_size, float* out, std::size_t ldo) {
  constexpr std::size_t block = kBlockValueVectors * Vec::kWidth;
  for (std::size_t c = 0; c < head_size; c += block) {
    const std::size_t len = head_size - c < block ? head_size - c : block;
    std::size_t t = 0;
    for (; t + kAttentionTileRows <= rows; t += kAttentionTileRows)
      block_weighted_sum_tile<kAttentionTileRows>(p + t * ldp, ldp, values + c, ldv, n, len,
                                                  out + t * ldo + c, ldo);
    for (; t < rows; ++t)
      block_weighted_sum_tile<1>(p + t * ldp, ldp, values + c, ldv, n, len, out + t * ldo + c, ldo);
  }
}
