// Dot products, matrix-vector products and axpy, written once against Vec.
#pragma once

#include <cstddef>

inline float dot(const float* a, const float* b, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  // Four independent accumulators hide the FMA latency.
  Vec::Reg s0 = Vec::zero(), s1 = Vec::zero(), s2 = Vec::zero(), s3 = Vec::zero();
  std::size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    s0 = Vec::fmadd(Vec::load(a + i), Vec::load(b + i), s0);
    s1 = Vec::fmadd(Vec::load(a + i + W), Vec::load(b + i + W), s1);
    s2 = Vec::fmadd(Vec::load(a + i + 2 * W), Vec::load(b + i + 2 * W), s2);
    s3 = Vec::fmadd(Vec::load(a + i + 3 * W), Vec::load(b + i + 3 * W), s3);
  }
  for (; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    s0 = Vec::fmadd(load_n(a + i, len, 0.0f), load_n(b + i, len, 0.0f), s0);
  }
  return Vec::reduce_add(Vec::add(Vec::add(s0, s1), Vec::add(s2, s3)));
}

inline void gemv(const float* w, const float* x, float* y, std::size_t rows, std::size_t cols) {
  constexpr std::size_t W = Vec::kWidth;
  std::size_t r = 0;
  // Four rows at a time share each load of x.
  for (; r + 4 <= rows; r += 4) {
    const float* w0 = w + r * cols;
    const float* w1 = w0 + cols;
    const float* w2 = w1 + cols;
    const float* w3 = w2 + cols;
    Vec::Reg s0 = Vec::zero(), s1 = Vec::zero(), s2 = Vec::zero(), s3 = Vec::zero();
    for (std::size_t i = 0; i < cols; i += W) {
      const std::size_t len = cols - i < W ? cols - i : W;
      const Vec::Reg xv = load_n(x + i, len, 0.0f);
      s0 = Vec::fmadd(load_n(w0 + i, len, 0.0f), xv, s0);
      s1 = Vec::fmadd(load_n(w1 + i, len, 0.0f), xv, s1);
      s2 = Vec::fmadd(load_n(w2 + i, len, 0.0f), xv, s2);
      s3 = Vec::fmadd(load_n(w3 + i, len, 0.0f), xv, s3);
    }
    y[r] = Vec::reduce_add(s0);
    y[r + 1] = Vec::reduce_add(s1);
    y[r + 2] = Vec::reduce_add(s2);
    y[r + 3] = Vec::reduce_add(s3);
  }
  for (; r < rows; ++r) y[r] = dot(w + r * cols, x, cols);
}

inline void axpy(float a, const float* x, float* y, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  const Vec::Reg va = Vec::set1(a);
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    store_n(y + i, Vec::fmadd(va, load_n(x + i, len, 0.0f), load_n(y + i, len, 0.0f)), len);
  }
}
