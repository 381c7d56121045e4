// RMSNorm, LayerNorm and the SwiGLU, GELU and GELU-gated activations, written once against Vec.
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

inline void layernorm(const float* x, const float* weight, const float* bias, float* out,
                      std::size_t n, float eps) {
  constexpr std::size_t W = Vec::kWidth;
  Vec::Acc sum = Vec::acc_zero();
  for (std::size_t i = 0; i < n; i += W)
    sum = Vec::acc_add(sum, load_n(x + i, n - i < W ? n - i : W, 0.0f));
  const float mean = static_cast<float>(Vec::acc_sum(sum) / n);
  // Two passes: the variance from deviations, not E[x^2] - mean^2 (which cancels badly).
  const Vec::Reg vmean = Vec::set1(mean);
  Vec::Acc squares = Vec::acc_zero();
  for (std::size_t i = 0; i < n; i += W) {
    const Vec::Reg d = Vec::sub(load_n(x + i, n - i < W ? n - i : W, mean), vmean);
    squares = Vec::acc_add(squares, Vec::mul(d, d));
  }
  const float inv_std = 1.0f / std::sqrt(static_cast<float>(Vec::acc_sum(squares) / n) + eps);
  const Vec::Reg vinv = Vec::set1(inv_std);
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    const Vec::Reg normed = Vec::mul(Vec::sub(load_n(x + i, len, mean), vmean), vinv);
    store_n(out + i, Vec::fmadd(normed, load_n(weight + i, len, 0.0f), load_n(bias + i, len, 0.0f)),
            len);
  }
}

// 0.5 x (1 + tanh(u)) is x * sigmoid(2u): one exp, no tanh, and no NaN for any finite x (exp
// saturates, x / inf is 0).
inline Vec::Reg gelu_of(Vec::Reg v) {
  const Vec::Reg one = Vec::set1(1.0f), cubic = Vec::set1(0.044715f);
  const Vec::Reg minus_two_k = Vec::set1(-2.0f * 0.7978845608028654f);       // -2 sqrt(2/pi)
  const Vec::Reg inner = Vec::fmadd(Vec::mul(cubic, v), Vec::mul(v, v), v);  // x + 0.044715 x^3
  return Vec::div(v, Vec::add(one, Vec::exp(Vec::mul(minus_two_k, inner))));
}

inline void gelu(float* x, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    store_n(x + i, gelu_of(load_n(x + i, len, 0.0f)), len);
  }
}

inline void geglu(float* gate, const float* up, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    store_n(gate + i, Vec::mul(gelu_of(load_n(gate + i, len, 0.0f)), load_n(up + i, len, 0.0f)),
            len);
  }
}
