#include "ops/formats/ggml_blocks.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/formats/scale_search.hpp"
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

void put_half(float v, std::uint8_t* p) {
  const std::uint16_t bits = f32_to_f16(v);
  std::memcpy(p, &bits, sizeof bits);
}

// v rounded to the nearest integer in [lo, hi].
int level(float v, int lo, int hi) {
  return std::clamp(nearest(v), lo, hi);
}

// The searches of Q4_1 / Q4_K (16 levels), Q5_1 / Q5_K (32), Q2_K (4), as ggml tunes them.
constexpr ScaleMinSearch kSearch16{-1.0f, 0.1f, 20, true, false};
constexpr ScaleMinSearch kSearch32{-0.5f, 0.1f, 15, true, false};
constexpr ScaleMinSearch kSearch4{-0.5f, 0.1f, 15, true, true};
ScaleMinSearch any_min(ScaleMinSearch s) {
  s.min_at_most_zero = false;
  return s;
}

// Q4_0 / Q5_0: one f16 scale for 32 values at levels [lo, hi]; levels out (32,) as level - lo.
void encode_scaled_32(const float* in, int lo, int hi, std::uint8_t* block, int* levels) {
  float w[32];
  std::int8_t l[32];
  rms_weights(in, 32, w);
  put_half(search_scale(in, w, 32, lo, hi, l), block);
  // Rounded again against the scale as stored.
  const float d = half_at(block);
  for (int i = 0; i < 32; ++i) levels[i] = (d != 0.0f ? level(in[i] / d, lo, hi) : 0) - lo;
}

// Q4_1 / Q5_1: f16 scale and minimum for 32 values at levels [0, top].
void encode_scale_min_32(const float* in, int top, const ScaleMinSearch& search,
                         std::uint8_t* block, int* levels) {
  float w[32];
  std::uint8_t l[32];
  rms_weights(in, 32, w);
  const ScaleMin found = search_scale_min(in, w, 32, top, any_min(search), l);
  put_half(found.scale, block);
  put_half(found.min, block + 2);
  const float d = half_at(block), m = half_at(block + 2);
  for (int i = 0; i < 32; ++i) levels[i] = d != 0.0f ? level((in[i] - m) / d, 0, top) : 0;
}

// Q5_0 / Q5_1's 32 levels: the low nibbles (value i < 16 low, i >= 16 high nibble of byte i % 16)
// and the fifth bits (bit i of a little-endian u32).
void pack_five_bits(const int* levels, std::uint8_t* qh, std::uint8_t* qs) {
  std::uint32_t high = 0;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<std::uint8_t>((levels[j] & 0xF) | (levels[j + 16] & 0xF) << 4);
    high |= static_cast<std::uint32_t>(levels[j] >> 4) << j;
    high |= static_cast<std::uint32_t>(levels[j + 16] >> 4) << (j + 16);
  }
  std::memcpy(qh, &high, sizeof high);
}

void pack_nibbles_32(const int* levels, std::uint8_t* qs) {
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<std::uint8_t>(levels[j] | levels[j + 16] << 4);
}

// 256 2-bit levels (Q2_K, Q3_K's low bits) as 64 bytes: two halves of 128, value 32 * p + l of a
// half in bits 2p of byte l.
void pack_two_bit_planes(const int* levels, std::uint8_t* qs) {
  for (int half = 0; half < 2; ++half)
    for (int l = 0; l < 32; ++l) {
      const int* v = levels + 128 * half + l;
      qs[32 * half + l] = static_cast<std::uint8_t>((v[0] & 3) | (v[32] & 3) << 2 |
                                                    (v[64] & 3) << 4 | (v[96] & 3) << 6);
    }
}

// The levels of a group at `step` (dequantised step * level - shift) in [0, top]; a zero step
// (a group of zeros, or one too small for the scales' precision) takes level 0.
void round_group(const float* in, std::size_t n, float step, float shift, int top, int* levels) {
  for (std::size_t i = 0; i < n; ++i)
    levels[i] = step != 0.0f ? level((in[i] + shift) / step, 0, top) : 0;
}

// A K-quant's sub-block scales (and mins) in `bits` unsigned bits against the f16 super-scale
// `max / (2^bits - 1)` it stores at `d_at`: q out (count,).
void quantise_scales(const float* values, int count, int bits, std::uint8_t* d_at, int* q) {
  const int top = (1 << bits) - 1;
  const float largest = *std::max_element(values, values + count);
  put_half(largest / static_cast<float>(top), d_at);
  const float d = half_at(d_at);
  for (int j = 0; j < count; ++j) q[j] = d > 0.0f ? level(values[j] / d, 0, top) : 0;
}

// Q2_K / Q4_K / Q5_K: sub-blocks of `size` values at levels [0, top] with 4- or 6-bit scales and
// mins against the f16 d and dmin at d_at, d_at + 2. sc, m out (256 / size,), levels out (256,).
void encode_scale_min_k(const float* in, int size, int top, int scale_bits,
                        const ScaleMinSearch& search, std::uint8_t* d_at, int* sc, int* m,
                        int* levels) {
  const int groups = 256 / size;
  float scales[16], mins[16], w[32];
  std::uint8_t l[32];
  for (int j = 0; j < groups; ++j) {
    const float* x = in + size * j;
    if (search.absolute_error)
      for (int i = 0; i < size; ++i) w[i] = std::fabs(x[i]);
    else
      rms_weights(x, size, w);
    const ScaleMin found = search_scale_min(x, w, size, top, search, l);
    scales[j] = found.scale;
    mins[j] = -found.min;
  }
  quantise_scales(scales, groups, scale_bits, d_at, sc);
  quantise_scales(mins, groups, scale_bits, d_at + 2, m);
  const float d = half_at(d_at), dmin = half_at(d_at + 2);
  for (int j = 0; j < groups; ++j)
    round_group(in + size * j, size, d * static_cast<float>(sc[j]), dmin * static_cast<float>(m[j]),
                top, levels + size * j);
}

// Q3_K / Q6_K: 16 sub-blocks of 16 values at levels [lo, hi] with signed scales in
// [scale_lo, -scale_lo - 1] against the f16 d at d_at (the sub-block of largest scale at
// scale_lo). sc out (16,), levels out (256,) as level - lo.
void encode_scaled_k(const float* in, int lo, int hi, int scale_lo, std::uint8_t* d_at, int* sc,
                     int* levels) {
  float scales[16], w[16], extreme = 0.0f;
  std::int8_t l[16];
  for (int j = 0; j < 16; ++j) {
    rms_weights(in + 16 * j, 16, w);
    scales[j] = search_scale(in + 16 * j, w, 16, lo, hi, l);
    if (std::fabs(scales[j]) > std::fabs(extreme)) extreme = scales[j];
  }
  put_half(extreme / static_cast<float>(scale_lo), d_at);
  const float d = half_at(d_at);
  for (int j = 0; j < 16; ++j) {
    sc[j] = d != 0.0f ? level(scales[j] / d, scale_lo, -scale_lo - 1) : 0;
    const float step = d * static_cast<float>(sc[j]);
    for (int i = 0; i < 16; ++i)
      levels[16 * j + i] = (step != 0.0f ? level(in[16 * j + i] / step, lo, hi) : 0) - lo;
  }
}

// The inverse of k4_scale_min: 8 6-bit scales and mins into 12 bytes.
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

// Q4_K / Q5_K's low nibbles: 64-value chunks, value l of the chunk's first half the low nibble of
// byte l, of its second half the high one.
void pack_nibble_chunks(const int* levels, std::uint8_t* qs) {
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l)
      qs[32 * c + l] = static_cast<std::uint8_t>((levels[64 * c + l] & 0xF) |
                                                 (levels[64 * c + 32 + l] & 0xF) << 4);
}

}  // namespace

void Q4_0Block::encode(const float* in, std::uint8_t* block) {
  int levels[32];
  encode_scaled_32(in, -8, 7, block, levels);
  pack_nibbles_32(levels, block + 2);
}

void Q4_1Block::encode(const float* in, std::uint8_t* block) {
  int levels[32];
  encode_scale_min_32(in, 15, kSearch16, block, levels);
  pack_nibbles_32(levels, block + 4);
}

void Q5_0Block::encode(const float* in, std::uint8_t* block) {
  int levels[32];
  encode_scaled_32(in, -16, 15, block, levels);
  pack_five_bits(levels, block + 2, block + 6);
}

void Q5_1Block::encode(const float* in, std::uint8_t* block) {
  int levels[32];
  encode_scale_min_32(in, 31, kSearch32, block, levels);
  pack_five_bits(levels, block + 4, block + 8);
}

void Q2_KBlock::encode(const float* in, std::uint8_t* block) {
  int sc[16], m[16], levels[256];
  encode_scale_min_k(in, 16, 3, 4, kSearch4, block + 80, sc, m, levels);
  for (int j = 0; j < 16; ++j) block[j] = static_cast<std::uint8_t>(sc[j] | m[j] << 4);
  pack_two_bit_planes(levels, block + 16);
}

void Q3_KBlock::encode(const float* in, std::uint8_t* block) {
  int sc[16], levels[256];
  encode_scaled_k(in, -4, 3, -32, block + 108, sc, levels);
  // Scales + 32: low nibbles in bytes 0-7 (j < 8 low, else high nibble of byte j - 8), the top 2
  // bits in bytes 8-11 (bits 2 * (j / 4) of byte 8 + j % 4).
  std::uint8_t* s = block + 96;
  std::memset(s, 0, 12);
  for (int j = 0; j < 16; ++j) {
    const int v = sc[j] + 32;
    s[j % 8] |= static_cast<std::uint8_t>((v & 0xF) << (j < 8 ? 0 : 4));
    s[8 + j % 4] |= static_cast<std::uint8_t>((v >> 4) << (2 * (j / 4)));
  }
  // The third bit of value i is bit i / 32 of hmask[i % 32].
  std::memset(block, 0, 32);
  for (int i = 0; i < 256; ++i)
    block[i % 32] |= static_cast<std::uint8_t>((levels[i] >> 2) << (i / 32));
  pack_two_bit_planes(levels, block + 32);
}

void Q4_KBlock::encode(const float* in, std::uint8_t* block) {
  int sc[8], m[8], levels[256];
  encode_scale_min_k(in, 32, 15, 6, kSearch16, block, sc, m, levels);
  pack_scale_min_k4(sc, m, block + 4);
  pack_nibble_chunks(levels, block + 16);
}

void Q5_KBlock::encode(const float* in, std::uint8_t* block) {
  int sc[8], m[8], levels[256];
  encode_scale_min_k(in, 32, 31, 6, kSearch32, block, sc, m, levels);
  pack_scale_min_k4(sc, m, block + 4);
  // The fifth bit of value 32 * j + l (sub-block j) is bit j of qh[l].
  std::uint8_t* qh = block + 16;
  std::memset(qh, 0, 32);
  for (int i = 0; i < 256; ++i)
    qh[i % 32] |= static_cast<std::uint8_t>((levels[i] >> 4) << (i / 32));
  pack_nibble_chunks(levels, block + 48);
}

void Q6_KBlock::encode(const float* in, std::uint8_t* block) {
  int sc[16], levels[256];
  encode_scaled_k(in, -32, 31, -128, block + 208, sc, levels);
  for (int j = 0; j < 16; ++j)
    block[192 + j] = static_cast<std::uint8_t>(static_cast<std::int8_t>(sc[j]));
  std::uint8_t* ql = block;
  std::uint8_t* qh = block + 128;
  std::memset(block, 0, 192);
  for (int i = 0; i < 256; ++i) {
    const int q = levels[i], n = i / 128, g = i % 128 / 32, l = i % 32;
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
    int sc, m;
    k4_scale_min(is, scales, sc, m);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
    k4_scale_min(is + 1, scales, sc, m);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
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
    int sc, m;
    k4_scale_min(is, scales, sc, m);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
    k4_scale_min(is + 1, scales, sc, m);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
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
