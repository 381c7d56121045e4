// RMSNorm and the SwiGLU activation, written once against Vec.
#pragma once

#include <cmath>
#include <cstddef>

inline void rmsnorm(const float* x, const float* weight, float* out, std::size_t n, float eps) {
  constexpr std::size_t W = Vec::kWidth;
  Vec::Acc acc = Vec::acc_zero();
  for (std::size_t i = 0; i < n; i += W) {
    const Vec::Reg v = load_n(x + i, n - i < W ? n - i : W, 0.0f);
    acc = Vec::acc_add(acc, Vec::mul(v, v));
  }
  const float inv_rms = 1.0f / std::sqrt(static_cast<float>(Vec::acc_sum(acc) / n) + eps);
  const Vec::Reg vinv = Vec::set1(inv_rms);
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    const Vec::Reg v = Vec::mul(vinv, load_n(x + i, len, 0.0f));
    store_n(out + i, Vec::mul(load_n(weight + i, len, 0.0f), v), len);
  }
}

inline void swiglu(float* gate, const float* up, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  const Vec::Reg one = Vec::set1(1.0f);
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    const Vec::Reg g = load_n(gate + i, len, 0.0f);
    const Vec::Reg sigmoid = Vec::div(one, Vec::add(one, Vec::exp(Vec::sub(Vec::zero(), g))));
    store_n(gate + i, Vec::mul(Vec::mul(g, sigmoid), load_n(up + i, len, 0.0f)), len);
  }
}
