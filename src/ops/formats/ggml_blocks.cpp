#include "ops/formats/ggml_blocks.hpp"

#include <cstring>

#include "ops/half.hpp"

namespace engine::formats {
namespace {

float half_at(const std::uint8_t* p) {
  std::uint16_t bits;
  std::memcpy(&bits, p, sizeof bits);
  return f16_to_f32(bits);
}

std::uint32_t u32_at(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Sub-block j's 6-bit scale and min of a Q4_K / Q5_K super-block (8 of each in 12 bytes: the
// low 6 bits of bytes 0-3 and 4-7 for j < 4, else a nibble of bytes 8-11 and the top 2 bits of
// bytes 0-3 and 4-7).
void scale_min_k4(std::size_t j, const std::uint8_t* q, float& scale, float& min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

}  // namespace

void Q4_0Block::decode(const std::uint8_t* block, float* out) {
  const float d = half_at(block);
  const std::uint8_t* qs = block + 2;
  for (int j = 0; j < 16; ++j) {
    out[j] = static_cast<float>((qs[j] & 0xF) - 8) * d;
    out[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

void Q4_1Block::decode(const std::uint8_t* block, float* out) {
  const float d = half_at(block), m = half_at(block + 2);
  const std::uint8_t* qs = block + 4;
  for (int j = 0; j < 16; ++j) {
    out[j] = static_cast<float>(qs[j] & 0xF) * d + m;
    out[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

void Q5_0Block::decode(const std::uint8_t* block, float* out) {
  const float d = half_at(block);
  const std::uint32_t qh = u32_at(block + 2);
  const std::uint8_t* qs = block + 6;
  for (int j = 0; j < 16; ++j) {
    const int high0 = ((qh >> j) << 4) & 0x10, high1 = (qh >> (j + 12)) & 0x10;
    out[j] = static_cast<float>(((qs[j] & 0xF) | high0) - 16) * d;
    out[j + 16] = static_cast<float>(((qs[j] >> 4) | high1) - 16) * d;
  }
}

void Q5_1Block::decode(const std::uint8_t* block, float* out) {
  const float d = half_at(block), m = half_at(block + 2);
  const std::uint32_t qh = u32_at(block + 4);
  const std::uint8_t* qs = block + 8;
  for (int j = 0; j < 16; ++j) {
    const int high0 = ((qh >> j) << 4) & 0x10, high1 = (qh >> (j + 12)) & 0x10;
    out[j] = static_cast<float>((qs[j] & 0xF) | high0) * d + m;
    out[j + 16] = static_cast<float>((qs[j] >> 4) | high1) * d + m;
  }
}

void Q2_KBlock::decode(const std::uint8_t* block, float* out) {
  const std::uint8_t* scales = block;
  const std::uint8_t* q = block + 16;
  const float d = half_at(block + 80), dmin = half_at(block + 82);
  // Two halves of 128 values, each four 2-bit planes of 32 bytes, each plane two sub-blocks.
  std::size_t is = 0;
  for (int half = 0; half < 2; ++half, q += 32)
    for (int shift = 0; shift < 8; shift += 2)
      for (int part = 0; part < 2; ++part, ++is) {
        const float dl = d * static_cast<float>(scales[is] & 0xF);
        const float ml = dmin * static_cast<float>(scales[is] >> 4);
        for (int l = 0; l < 16; ++l)
          *out++ = dl * static_cast<float>((q[l + 16 * part] >> shift) & 3) - ml;
      }
}

void Q3_KBlock::decode(const std::uint8_t* block, float* out) {
  const std::uint8_t* hmask = block;
  const std::uint8_t* q = block + 32;
  const std::uint8_t* s = block + 96;
  const float d = half_at(block + 108);
  // 16 signed 6-bit scales: low nibbles from bytes 0-7, high 2 bits from bytes 8-11.
  int scales[16];
  for (int i = 0; i < 16; ++i) {
    const int low = i < 8 ? s[i] & 0xF : s[i - 8] >> 4;
    const int high = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
    scales[i] = (low | high << 4) - 32;
  }
  std::size_t is = 0;
  std::uint8_t bit = 1;
  for (int half = 0; half < 2; ++half, q += 32)
    for (int shift = 0; shift < 8; shift += 2, bit <<= 1)
      for (int part = 0; part < 2; ++part, ++is) {
        const float dl = d * static_cast<float>(scales[is]);
        for (int l = 16 * part; l < 16 * part + 16; ++l)
          *out++ = dl * static_cast<float>(((q[l] >> shift) & 3) - ((hmask[l] & bit) ? 0 : 4));
      }
}

void Q4_KBlock::decode(const std::uint8_t* block, float* out) {
  const float d = half_at(block), dmin = half_at(block + 2);
  const std::uint8_t* scales = block + 4;
  const std::uint8_t* q = block + 16;
  for (std::size_t is = 0; is < 8; is += 2, q += 32) {
    float sc, m;
    scale_min_k4(is, scales, sc, m);
    const float d1 = d * sc, m1 = dmin * m;
    scale_min_k4(is + 1, scales, sc, m);
    const float d2 = d * sc, m2 = dmin * m;
    for (int l = 0; l < 32; ++l) *out++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
    for (int l = 0; l < 32; ++l) *out++ = d2 * static_cast<float>(q[l] >> 4) - m2;
  }
}

void Q5_KBlock::decode(const std::uint8_t* block, float* out) {
  const float d = half_at(block), dmin = half_at(block + 2);
  const std::uint8_t* scales = block + 4;
  const std::uint8_t* qh = block + 16;
  const std::uint8_t* q = block + 48;
  std::uint8_t u1 = 1, u2 = 2;
  for (std::size_t is = 0; is < 8; is += 2, q += 32, u1 <<= 2, u2 <<= 2) {
    float sc, m;
    scale_min_k4(is, scales, sc, m);
    const float d1 = d * sc, m1 = dmin * m;
    scale_min_k4(is + 1, scales, sc, m);
    const float d2 = d * sc, m2 = dmin * m;
    for (int l = 0; l < 32; ++l)
      *out++ = d1 * static_cast<float>((q[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l)
      *out++ = d2 * static_cast<float>((q[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
  }
}

void Q6_KBlock::decode(const std::uint8_t* block, float* out) {
  const std::uint8_t* ql = block;
  const std::uint8_t* qh = block + 128;
  const auto* sc = reinterpret_cast<const std::int8_t*>(block + 192);
  const float d = half_at(block + 208);
  for (int half = 0; half < 2; ++half, out += 128, ql += 64, qh += 32, sc += 8)
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      out[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      out[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      out[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      out[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
}

}  // namespace engine::formats
