// Dot products, matrix-vector products and axpy, written once against Vec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

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

/// y[r] = dot(w row r, x) for a row-major (rows, cols) matrix of f32 or bf16 (uint16) weights.
template <typename Weight>
inline void gemv_rows(const Weight* w, const float* x, float* y, std::size_t rows,
                      std::size_t cols) {
  constexpr std::size_t W = Vec::kWidth;
  std::size_t r = 0;
  // Four rows at a time share each load of x.
  for (; r + 4 <= rows; r += 4) {
    const Weight* w0 = w + r * cols;
    const Weight* w1 = w0 + cols;
    const Weight* w2 = w1 + cols;
    const Weight* w3 = w2 + cols;
    Vec::Reg s0 = Vec::zero(), s1 = Vec::zero(), s2 = Vec::zero(), s3 = Vec::zero();
    for (std::size_t i = 0; i < cols; i += W) {
      const std::size_t len = cols - i < W ? cols - i : W;
      const Vec::Reg xv = load_n(x + i, len, 0.0f);
      s0 = Vec::fmadd(load_weights_n(w0 + i, len), xv, s0);
      s1 = Vec::fmadd(load_weights_n(w1 + i, len), xv, s1);
      s2 = Vec::fmadd(load_weights_n(w2 + i, len), xv, s2);
      s3 = Vec::fmadd(load_weights_n(w3 + i, len), xv, s3);
    }
    y[r] = Vec::reduce_add(s0);
    y[r + 1] = Vec::reduce_add(s1);
    y[r + 2] = Vec::reduce_add(s2);
    y[r + 3] = Vec::reduce_add(s3);
  }
  for (; r < rows; ++r) {
    Vec::Reg s = Vec::zero();
    for (std::size_t i = 0; i < cols; i += W) {
      const std::size_t len = cols - i < W ? cols - i : W;
      s = Vec::fmadd(load_weights_n(w + r * cols + i, len), load_n(x + i, len, 0.0f), s);
    }
    y[r] = Vec::reduce_add(s);
  }
}

inline void gemv(const float* w, const float* x, float* y, std::size_t rows, std::size_t cols) {
  gemv_rows(w, x, y, rows, cols);
}

inline void gemv_bf16(const std::uint16_t* w, const float* x, float* y, std::size_t rows,
                      std::size_t cols) {
  gemv_rows(reinterpret_cast<const Bf16*>(w), x, y, rows, cols);
}

inline void gemv_f16(const std::uint16_t* w, const float* x, float* y, std::size_t rows,
                     std::size_t cols) {
  gemv_rows(reinterpret_cast<const F16*>(w), x, y, rows, cols);
}

/// Q8_0 rows (cols a multiple of 32): blocks of one f16 scale and 32 int8, as GGUF stores them.
/// Each block's int8 x f32 products are summed in registers, then scaled once; four rows at a
/// time share the loads of x.
inline void gemv_q8_0(const std::uint8_t* w, const float* x, float* y, std::size_t rows,
                      std::size_t cols) {
  constexpr std::size_t W = Vec::kWidth, kBlock = 32, kBlockBytes = 34, kRows = 4;
  const std::size_t blocks = cols / kBlock, row_bytes = blocks * kBlockBytes;
  for (std::size_t r = 0; r < rows; r += kRows) {
    const std::size_t n = rows - r < kRows ? rows - r : kRows;
    Vec::Reg sum[kRows] = {Vec::zero(), Vec::zero(), Vec::zero(), Vec::zero()};
    for (std::size_t b = 0; b < blocks; ++b) {
      Vec::Reg xv[kBlock / W];
      for (std::size_t i = 0; i < kBlock / W; ++i) xv[i] = Vec::load(x + b * kBlock + i * W);
      for (std::size_t j = 0; j < n; ++j) {
        const std::uint8_t* block = w + (r + j) * row_bytes + b * kBlockBytes;
        std::uint16_t scale_bits;
        std::memcpy(&scale_bits, block, 2);
        const std::int8_t* q = reinterpret_cast<const std::int8_t*>(block + 2);
        Vec::Reg acc = Vec::mul(Vec::load_i8(q), xv[0]);
        for (std::size_t i = 1; i < kBlock / W; ++i)
          acc = Vec::fmadd(Vec::load_i8(q + i * W), xv[i], acc);
        sum[j] = Vec::fmadd(Vec::set1(Vec::f16_to_f32(scale_bits)), acc, sum[j]);
      }
    }
    for (std::size_t j = 0; j < n; ++j) y[r + j] = Vec::reduce_add(sum[j]);
  }
}

inline void axpy(float a, const float* x, float* y, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  const Vec::Reg va = Vec::set1(a);
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    store_n(y + i, Vec::fmadd(va, load_n(x + i, len, 0.0f), load_n(y + i, len, 0.0f)), len);
  }
}
