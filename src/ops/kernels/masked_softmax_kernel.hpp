// Masked softmax, written once against Vec and compiled per ISA.
//
// Three passes over the row: max, exp-and-sum, normalise. Masked lanes are forced to -inf
// before the max, so they come out of exp as exactly 0 and never touch the sum. The guard on
// the max is what makes a fully masked row give zeros instead of exp(-inf - -inf) = NaN.
// The denominator is summed in double so every ISA agrees with the scalar reference to ~1 ulp.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

inline void masked_softmax(const float* x, const std::uint8_t* mask, float* out, std::size_t n,
                           float scale) {
  constexpr std::size_t W = Vec::kWidth;
  if (n == 0) return;
  const Vec::Reg vscale = Vec::set1(scale);
  const Vec::Reg ninf = Vec::set1(-INFINITY);
  // scale * x[i..i+len), with masked lanes and lanes past the row at -inf.
  auto scaled = [&](std::size_t i, std::size_t len) {
    const Vec::Reg v = Vec::mul(load_n(x + i, len, -INFINITY), vscale);
    return mask ? select_n(mask + i, len, v, ninf) : v;
  };

  Vec::Reg vmax = ninf;
  for (std::size_t i = 0; i < n; i += W) vmax = Vec::max(vmax, scaled(i, n - i < W ? n - i : W));
  const float max = Vec::reduce_max(vmax);
  if (!(max > -INFINITY)) {  // nothing to attend to
    std::memset(out, 0, n * sizeof(float));
    return;
  }

  const Vec::Reg vmax_all = Vec::set1(max);
  Vec::Acc acc = Vec::acc_zero();
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    const Vec::Reg e = Vec::exp(Vec::sub(scaled(i, len), vmax_all));
    store_n(out + i, e, len);
    acc = Vec::acc_add(acc, e);
  }

  const Vec::Reg inv = Vec::set1(static_cast<float>(1.0 / Vec::acc_sum(acc)));
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    store_n(out + i, Vec::mul(load_n(out + i, len, 0.0f), inv), len);
  }
}
