#include "ops/formats/ggml_blocks.hpp"

#include <algorithm>
#include <cmath>
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

void put_half(float v, std::uint8_t* p) {
  const std::uint16_t bits = f32_to_f16(v);
  std::memcpy(p, &bits, sizeof bits);
}

// v rounded to the nearest integer in [lo, hi].
int level(float v, int lo, int hi) {
  return std::clamp(static_cast<int>(std::lround(v)), lo, hi);
}

// The inverse of scale_min_k4: 8 6-bit scales and mins into 12 bytes.
void pack_scale_min_k4(const int* scale, const int* min, std::uint8_t* q) {
  std::memset(q, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      q[j] |= static_cast<std::uint8_t>(scale[j]);
      q[j + 4] |= static_cast<std::uint8_t>(min[j]);
    } else {
      q[j + 4] = static_cast<std::uint8_t>((scale[j] & 0xF) | (min[j] & 0xF) << 4);
      q[j - 4] |= static_cast<std::uint8_t>((scale[j] >> 4) << 6);
      q[j] |= static_cast<std::uint8_t>((min[j] >> 4) << 6);
    }
  }
}

}  // namespace

void Q4_0Block::encode(const float* in, std::uint8_t* block) {
  // The value of largest magnitude gets level -8 (its sign kept), as ggml's reference does.
  float extreme = 0.0f;
  for (int i = 0; i < 32; ++i)
    if (std::fabs(in[i]) > std::fabs(extreme)) extreme = in[i];
  put_half(extreme / -8.0f, block);
  const float d = half_at(block), inverse = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < 16; ++j)
    block[2 + j] = static_cast<std::uint8_t>(level(in[j] * inverse + 8.0f, 0, 15) |
                                             level(in[j + 16] * inverse + 8.0f, 0, 15) << 4);
}

void Q4_KBlock::encode(const float* in, std::uint8_t* block) {
  // Per 32 values a scale over their range and a minimum (at most 0), both then quantised to 6
  // bits against the super-block's largest.
  float scales[8], mins[8], max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    const float* x = in + 32 * j;
    float lo = 0.0f, hi = 0.0f;
    for (int l = 0; l < 32; ++l) {
      lo = std::min(lo, x[l]);
      hi = std::max(hi, x[l]);
    }
    scales[j] = (hi - lo) / 15.0f;
    mins[j] = -lo;
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  put_half(max_scale / 63.0f, block);
  put_half(max_min / 63.0f, block + 2);
  const float d = half_at(block), dmin = half_at(block + 2);
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = d > 0.0f ? level(scales[j] / d, 0, 63) : 0;
    m[j] = dmin > 0.0f ? level(mins[j] / dmin, 0, 63) : 0;
  }
  pack_scale_min_k4(sc, m, block + 4);
  std::uint8_t* qs = block + 16;
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      int q[2];
      for (int h = 0; h < 2; ++h) {
        const int j = 2 * c + h;
        const float step = d * static_cast<float>(sc[j]), shift = dmin * static_cast<float>(m[j]);
        q[h] = step > 0.0f ? level((in[64 * c + 32 * h + l] + shift) / step, 0, 15) : 0;
      }
      qs[32 * c + l] = static_cast<std::uint8_t>(q[0] | q[1] << 4);
    }
}

void Q6_KBlock::encode(const float* in, std::uint8_t* block) {
  // Per 16 values a signed scale putting the value of largest magnitude at level -32, the
  // scales quantised to int8 against the largest.
  float scales[16], max_scale = 0.0f;
  for (int j = 0; j < 16; ++j) {
    float extreme = 0.0f;
    for (int l = 0; l < 16; ++l)
      if (std::fabs(in[16 * j + l]) > std::fabs(extreme)) extreme = in[16 * j + l];
    scales[j] = extreme / -32.0f;
    max_scale = std::max(max_scale, std::fabs(scales[j]));
  }
  put_half(max_scale / 127.0f, block + 208);
  const float d = half_at(block + 208);
  auto* sc = reinterpret_cast<std::int8_t*>(block + 192);
  for (int j = 0; j < 16; ++j)
    sc[j] = static_cast<std::int8_t>(d > 0.0f ? level(scales[j] / d, -127, 127) : 0);
  std::uint8_t* ql = block;
  std::uint8_t* qh = block + 128;
  std::memset(block, 0, 192);
  for (int i = 0; i < 256; ++i) {
    const float step = d * static_cast<float>(sc[i / 16]);
    const int q = (step != 0.0f ? level(in[i] / step, -32, 31) : 0) + 32;
    const int n = i / 128, g = i % 128 / 32, l = i % 32;
    ql[64 * n + l + 32 * (g & 1)] |= static_cast<std::uint8_t>((q & 0xF) << (g < 2 ? 0 : 4));
    qh[32 * n + l] |= static_cast<std::uint8_t>((q >> 4) << (2 * g));
  }
}

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
