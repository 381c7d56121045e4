// The two halves of attention around the softmax, over keys/values stored one row per
// position with a stride (the KV cache interleaves heads): written once against Vec.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

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

// attention_weighted_sum for a slice of a head of C registers: one pass over the values, each
// row's slice read once and whole, the C accumulators in registers (lane for lane the same sums
// as a pass per register, which walked the positions head_size / kWidth times); prefetching the
// rows ahead measured slower (figures in docs/performance.md, commit 897219a).
template <std::size_t C>
inline void weighted_sum_in_registers(const float* p, const float* values, std::size_t stride,
                                      std::size_t n, std::size_t width, float* out) {
  constexpr std::size_t W = Vec::kWidth;
  Vec::Reg acc[C];
  for (auto& a : acc) a = Vec::zero();
  for (std::size_t j = 0; j < n; ++j) {
    if (p[j] == 0.0f) continue;
    const Vec::Reg pj = Vec::set1(p[j]);
    for (std::size_t c = 0; c < C; ++c) {
      const std::size_t at = c * W, len = width - at < W ? width - at : W;
      acc[c] = Vec::fmadd(pj, load_n(values + j * stride + at, len, 0.0f), acc[c]);
    }
  }
  for (std::size_t c = 0; c < C; ++c) {
    const std::size_t at = c * W;
    store_n(out + at, acc[c], width - at < W ? width - at : W);
  }
}

// weighted_sum_in_registers<C> at [C - 1], C = 1..8.
template <std::size_t... I>
constexpr auto weighted_sums_in_registers(std::index_sequence<I...>) {
  return std::array{&weighted_sum_in_registers<I + 1>...};
}
constexpr auto kWeightedSumsInRegisters = weighted_sums_in_registers(std::make_index_sequence<8>());

/// out = sum_j p[j] * (values + j*stride) for j in [0, n); positions with p[j] == 0 (masked)
/// are skipped, so they cost nothing and cannot leak anything.
inline void attention_weighted_sum(const float* p, const float* values, std::size_t stride,
                                   std::size_t n, std::size_t head_size, float* out) {
  // The head in slices of up to 8 registers (one slice for heads up to 8 * kWidth), each slice
  // one pass over the values.
  constexpr std::size_t kSlice = kWeightedSumsInRegisters.size() * Vec::kWidth;
  for (std::size_t at = 0; at < head_size; at += kSlice) {
    const std::size_t width = head_size - at < kSlice ? head_size - at : kSlice;
    kWeightedSumsInRegisters[(width + Vec::kWidth - 1) / Vec::kWidth - 1](p, values + at, stride, n,
                                                                          width, out + at);
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
