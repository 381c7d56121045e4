// A double-precision decoder of ggml's 4- to 8-bit block types written from their definitions
// (ggml-common.h: field order and bit positions), one value at a time, and random rows of
// blocks: the reference the block formats and their kernels are tested against.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "ops/half.hpp"
#include "ops/weight_format.hpp"

namespace engine::ggml_reference {

inline double half_at(const std::uint8_t* p) {
  std::uint16_t bits;
  std::memcpy(&bits, p, 2);
  return f16_to_f32(bits);
}

// Value i of a block and the size of the terms it was computed from (the scale of its rounding).
struct Value {
  double value, magnitude;
};

// Q4_0 {d; qs[16]}, Q4_1 {d; m; qs[16]}, Q5_0 {d; qh[4]; qs[16]}, Q5_1 {d; m; qh[4]; qs[16]}:
// value i < 16 is the low nibble of qs[i], i >= 16 the high nibble of qs[i - 16]; Q5's fifth bit
// of value i is bit i of qh (little-endian u32).
inline Value legacy_value(DType type, const std::uint8_t* b, int i) {
  const bool has_min = type == DType::q4_1 || type == DType::q5_1;
  const bool five = type == DType::q5_0 || type == DType::q5_1;
  const double d = half_at(b), m = has_min ? half_at(b + 2) : 0.0;
  const std::uint8_t* qh = b + (has_min ? 4 : 2);
  const std::uint8_t* qs = qh + (five ? 4 : 0);
  int q = i < 16 ? qs[i] & 0xF : qs[i - 16] >> 4;
  if (five) q |= ((qh[i / 8] >> (i % 8)) & 1) << 4;
  const int offset = has_min ? 0 : (five ? 16 : 8);
  return {d * (q - offset) + m, std::abs(d * q) + std::abs(m) + std::abs(d * offset)};
}

// Q4_K / Q5_K scales: 8 (scale, min) pairs of 6 bits in 12 bytes (get_scale_min_k4).
inline void k4_scale_min(const std::uint8_t* s, int j, int& scale, int& min) {
  if (j < 4) {
    scale = s[j] & 63;
    min = s[j + 4] & 63;
  } else {
    scale = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// Q3_K's 16 6-bit scales as ggml unpacks them: three u32 words through kmask1 = 0x03030303 and
// kmask2 = 0x0f0f0f0f into four words of int8, minus 32.
inline int q3_k_scale(const std::uint8_t* s, int j) {
  std::uint32_t w[3];
  std::memcpy(w, s, 12);
  const std::uint32_t k1 = 0x03030303, k2 = 0x0f0f0f0f;
  const std::uint32_t aux[4] = {(w[0] & k2) | ((w[2] & k1) << 4),
                                (w[1] & k2) | (((w[2] >> 2) & k1) << 4),
                                ((w[0] >> 4) & k2) | (((w[2] >> 4) & k1) << 4),
                                ((w[1] >> 4) & k2) | (((w[2] >> 6) & k1) << 4)};
  std::int8_t scales[16];
  std::memcpy(scales, aux, 16);
  return scales[j] - 32;
}

// K-quant value i of a super-block of 256 (or of Q8_0's block of 32).
inline Value k_value(DType type, const std::uint8_t* b, int i) {
  switch (type) {
    case DType::q2_k: {  // {scales[16]; qs[64]; d; dmin}: 128-value halves of 4 2-bit planes
      const int n = i / 128, r = i % 128, plane = r / 32, l = r % 32;
      const int q = (b[16 + 32 * n + l] >> (2 * plane)) & 3, sc = b[i / 16];
      const double d = half_at(b + 80) * (sc & 0xF), m = half_at(b + 82) * (sc >> 4);
      return {d * q - m, std::abs(d * q) + std::abs(m)};
    }
    case DType::q3_k: {  // {hmask[32]; qs[64]; scales[12]; d}: high bit set means no -4
      const int n = i / 128, r = i % 128, plane = r / 32, l = r % 32;
      const int low = (b[32 + 32 * n + l] >> (2 * plane)) & 3;
      const bool high = (b[l] >> (4 * n + plane)) & 1;
      const double d = half_at(b + 108) * q3_k_scale(b + 96, i / 16);
      const int q = low - (high ? 0 : 4);
      return {d * q, std::abs(d * q)};
    }
    case DType::q4_k:
    case DType::q5_k: {  // {d; dmin; scales[12]; (qh[32];) qs[128]}: 64-value chunks
      const bool five = type == DType::q5_k;
      const int c = i / 64, r = i % 64, sub = 2 * c + r / 32, l = r % 32;
      const std::uint8_t* qs = b + (five ? 48 : 16);
      int q = r < 32 ? qs[32 * c + l] & 0xF : qs[32 * c + l] >> 4;
      if (five) q += ((b[16 + l] >> sub) & 1) * 16;
      int scale, min;
      k4_scale_min(b + 4, sub, scale, min);
      const double d = half_at(b) * scale, m = half_at(b + 2) * min;
      return {d * q - m, std::abs(d * q) + std::abs(m)};
    }
    case DType::q6_k: {  // {ql[128]; qh[64]; scales[16] int8; d}: 128-value halves
      const int n = i / 128, r = i % 128, g = r / 32, l = r % 32;
      const std::uint8_t low_byte = b[64 * n + l + 32 * (g & 1)];
      const int low = g < 2 ? low_byte & 0xF : low_byte >> 4;
      const int high = (b[128 + 32 * n + l] >> (2 * g)) & 3;
      const int q = (low | high << 4) - 32;
      const double d = half_at(b + 208) * static_cast<std::int8_t>(b[192 + 8 * n + l / 16 + 2 * g]);
      return {d * q, std::abs(d * q)};
    }
    case DType::q8_0: {  // {d; qs[32] int8}
      const double d = half_at(b) * static_cast<std::int8_t>(b[2 + i]);
      return {d, std::abs(d)};
    }
    default:
      return legacy_value(type, b, i);
  }
}

inline constexpr DType kBlockTypes[] = {DType::q4_0, DType::q4_1, DType::q5_0,
                                        DType::q5_1, DType::q2_k, DType::q3_k,
                                        DType::q4_k, DType::q5_k, DType::q6_k};

// Where a block type keeps its f16 scales (and minima): they get finite values of a model's
// size, every other byte is random.
inline std::vector<int> half_offsets(DType type) {
  switch (type) {
    case DType::q4_0:
    case DType::q5_0:
    case DType::q8_0:
      return {0};
    case DType::q4_1:
    case DType::q5_1:
    case DType::q4_k:
    case DType::q5_k:
      return {0, 2};
    case DType::q2_k:
      return {80, 82};
    case DType::q3_k:
      return {108};
    default:
      return {208};  // q6_k
  }
}

// `rows` rows of random blocks of `type`, `cols` values each, as a file holds them.
inline std::vector<std::uint8_t> random_rows(DType type, std::size_t rows, std::size_t cols,
                                             std::mt19937& rng) {
  const WeightFormat& f = weight_format(type);
  std::vector<std::uint8_t> bytes(rows * file_row_bytes(f, cols));
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(-0.02f, 0.02f);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(byte(rng));
  for (std::size_t at = 0; at < bytes.size(); at += f.block_bytes)
    for (int offset : half_offsets(type)) {
      const std::uint16_t h = f32_to_f16(scale(rng));
      std::memcpy(&bytes[at + offset], &h, 2);
    }
  return bytes;
}

// x quantised per 32 values as the decode kernels on Q8 activations take it (quantize_q8's
// definition): d = max|x| / 127, q = x times 1 / d rounded to nearest even, in f32.
struct Q8Rows {
  std::vector<std::int8_t> q;
  std::vector<float> d;
  double value(std::size_t i) const { return static_cast<double>(q[i]) * d[i / 32]; }
};
inline Q8Rows q8_rows(const std::vector<float>& x) {
  Q8Rows out{std::vector<std::int8_t>(x.size()), std::vector<float>(x.size() / 32)};
  for (std::size_t b = 0; b < x.size() / 32; ++b) {
    float amax = 0.0f;
    for (std::size_t i = 32 * b; i < 32 * b + 32; ++i) amax = std::max(amax, std::abs(x[i]));
    out.d[b] = amax / 127.0f;
    const float inv = out.d[b] > 0.0f ? 1.0f / out.d[b] : 0.0f;
    for (std::size_t i = 32 * b; i < 32 * b + 32; ++i)
      out.q[i] = static_cast<std::int8_t>(std::nearbyint(x[i] * inv));
  }
  return out;
}

// Quants' sums per 16 and per 32 times the block's scale, as the integer kernels take them with
// x's quants (q, d): (n / 16) and (n / 32).
struct QuantSums {
  std::vector<std::int32_t> sums16;
  std::vector<float> dsums32;
};
inline QuantSums quant_sums(const std::vector<std::int8_t>& q, const std::vector<float>& d) {
  QuantSums out{std::vector<std::int32_t>(q.size() / 16, 0), std::vector<float>(q.size() / 32)};
  for (std::size_t i = 0; i < q.size(); ++i) out.sums16[i / 16] += q[i];
  for (std::size_t b = 0; b < out.dsums32.size(); ++b)
    out.dsums32[b] = d[b] * static_cast<float>(out.sums16[2 * b] + out.sums16[2 * b + 1]);
  return out;
}

}  // namespace engine::ggml_reference
