// Rotary position embedding, written once against Vec: each head's pairs (v[2i], v[2i+1]) are
// split into a register of even and one of odd elements, rotated by cos[i], sin[i] and put back;
// or (rope_halves) the pairs (v[i], v[i + head_size/2]), read straight from the two halves.
// Plain multiplies and adds in the scalar definition's order, each product rounded (no FMA
// contraction), so every ISA gives the scalar bits (the llama2.c golden texts depend on them).
#pragma once

#include <cstddef>

inline void rope(float* v, std::size_t n, std::size_t head_size, const float* cos,
                 const float* sin) {
  constexpr std::size_t W = Vec::kWidth;
  const std::size_t pairs = head_size / 2;
  for (std::size_t head = 0; head < n; head += head_size)
    for (std::size_t i = 0; i < pairs; i += W) {
      const std::size_t len = pairs - i < W ? pairs - i : W;  // pairs in this step
      const std::size_t lo_len = 2 * len < W ? 2 * len : W, hi_len = 2 * len - lo_len;
      float* const p = v + head + 2 * i;
      Vec::Reg even, odd;
      // The upper half only when the step has one (no address past the row otherwise).
      const Vec::Reg upper = hi_len ? load_n(p + W, hi_len, 0.0f) : Vec::zero();
      Vec::deinterleave(load_n(p, lo_len, 0.0f), upper, even, odd);
      const Vec::Reg c = load_n(cos + i, len, 0.0f), s = load_n(sin + i, len, 0.0f);
      Vec::Reg lo, hi;
      const auto product = [](Vec::Reg a, Vec::Reg b) { return Vec::rounded(Vec::mul(a, b)); };
      Vec::interleave(Vec::sub(product(even, c), product(odd, s)),
                      Vec::add(product(even, s), product(odd, c)), lo, hi);
      store_n(p, lo, lo_len);
      if (hi_len) store_n(p + W, hi, hi_len);
    }
}

inline void rope_halves(float* v, std::size_t n, std::size_t head_size, const float* cos,
                        const float* sin) {
  constexpr std::size_t W = Vec::kWidth;
  const std::size_t half = head_size / 2;
  const auto product = [](Vec::Reg a, Vec::Reg b) { return Vec::rounded(Vec::mul(a, b)); };
  for (std::size_t head = 0; head < n; head += head_size)
    for (std::size_t i = 0; i < half; i += W) {
      const std::size_t len = half - i < W ? half - i : W;
      float* const lo = v + head + i;
      float* const hi = lo + half;
      const Vec::Reg a = load_n(lo, len, 0.0f), b = load_n(hi, len, 0.0f);
      const Vec::Reg c = load_n(cos + i, len, 0.0f), s = load_n(sin + i, len, 0.0f);
      store_n(lo, Vec::sub(product(a, c), product(b, s)), len);
      store_n(hi, Vec::add(product(a, s), product(b, c)), len);
    }
}
