// Vec for AVX2 + FMA: 8 floats per register.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/kernels/intrinsics.hpp"

struct Vec {
  using Reg = __m256;
  static constexpr int kWidth = 8;
  static constexpr int kRegisters = 16;

  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg set1(float v) { return _mm256_set1_ps(v); }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  /// The first n < kWidth lanes from p, the rest `fill`; reads nothing past p[n-1].
  static Reg load_partial(const float* p, std::size_t n, float fill) {
    const __m256i m = lane_mask(n);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static void store_partial(float* p, Reg v, std::size_t n) {
    _mm256_maskstore_ps(p, lane_mask(n), v);
  }
  /// kWidth bf16 values widened to f32 (bf16 is the top half of an f32).
  static Reg load_bf16(const std::uint16_t* p) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  /// kWidth IEEE half values widened to f32 (F16C).
  static Reg load_f16(const std::uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  /// kWidth int8 values converted to f32.
  static Reg load_i8(const std::int8_t* p) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
  }
  /// A hint to start loading the cache line at p into L2 (never faults), as on AVX-512 (see
  /// there).
  static void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T1); }

  /// kWidth lanes rounded to the nearest integer (ties to even) stored as int8 (|v| <= 127).
  static void store_i8(std::int8_t* p, Reg v) {
    const __m256i i = _mm256_cvtps_epi32(v);
    const __m128i s16 = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packs_epi16(s16, s16));
  }
  /// kWidth lanes rounded to bf16 (nearest even; the caller has no NaN).
  static void store_bf16(std::uint16_t* p, Reg v) {
    const __m256i u = _mm256_castps_si256(v);
    const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_srli_epi32(
        _mm256_add_epi32(u, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff))), 16);
    _mm_storeu_si128(
        reinterpret_cast<__m128i*>(p),
        _mm_packus_epi32(_mm256_castsi256_si128(rounded), _mm256_extracti128_si256(rounded, 1)));
  }

  /// kWidth int32 lanes: the integer sums of a Q8 panel block (ops/panel_layout.hpp).
  using I32 = __m256i;
  static I32 i32_set1(std::int32_t v) { return _mm256_set1_epi32(v); }
  static I32 i32_load(const std::uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  /// acc + in each lane the dot product of w's 4 unsigned bytes there with the 4 int8 of x4: the
  /// bytes widened to int16 (255 * 127 fits), pairs summed by madd, then hadd puts lanes
  /// 0 1 4 5 | 2 3 6 7, which the 64-bit permute orders.
  static I32 dot_u8x4(I32 acc, I32 bytes, std::int32_t x4) {
    const __m256i x = _mm256_cvtepi8_epi16(_mm_set1_epi32(x4));
    const __m256i lo = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(bytes)), x);
    const __m256i hi =
        _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(bytes, 1)), x);
    const __m256i sums = _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo, hi), 0xd8);
    return _mm256_add_epi32(acc, sums);
  }
  static Reg i32_to_f32(I32 v) { return _mm256_cvtepi32_ps(v); }
  /// kWidth bytes at p widened to int32 lanes (the quants of the ggml block formats).
  static I32 i32_load_u8(const std::uint8_t* p) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  /// (v >> shift) & mask in each lane.
  static I32 i32_bits(I32 v, int shift, std::int32_t mask) {
    return _mm256_and_si256(_mm256_srli_epi32(v, shift), _mm256_set1_epi32(mask));
  }
  static I32 i32_or(I32 a, I32 b) { return _mm256_or_si256(a, b); }
  static I32 i32_shl(I32 v, int shift) { return _mm256_slli_epi32(v, shift); }
  static I32 i32_add(I32 a, I32 b) { return _mm256_add_epi32(a, b); }
  static I32 i32_mul(I32 a, I32 b) { return _mm256_mullo_epi32(a, b); }
  /// kWidth int8 at p widened to int32 lanes.
  static I32 i32_load_s8(const std::uint8_t* p) {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }

  /// kWidth pairs of bf16 values, pair i the two at p + 2i (a bf16 panel's step: two values of
  /// k for kWidth features), or one pair (low half first) in every lane; widened to f32 by
  /// shifting (exact), the first values in `even`, the second in `odd`.
  struct Bf16Pairs {
    Reg even, odd;
  };
  static Bf16Pairs load_bf16_pairs(const std::uint16_t* p) {
    return widen_bf16_pairs(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static Bf16Pairs set1_bf16_pair(std::uint32_t pair) {
    return widen_bf16_pairs(_mm256_set1_epi32(static_cast<int>(pair)));
  }
  static Bf16Pairs widen_bf16_pairs(__m256i h) {
    return {_mm256_castsi256_ps(_mm256_slli_epi32(h, 16)),
            _mm256_castsi256_ps(_mm256_and_si256(h, _mm256_set1_epi32(-65536)))};
  }
  /// acc + the two products of each lane's pairs (exact in f32), the first one first.
  static Reg dot_bf16_pairs(Reg acc, Bf16Pairs a, Bf16Pairs b) {
    return fmadd(a.odd, b.odd, fmadd(a.even, b.even, acc));
  }
  /// The 2 * kWidth floats lo, hi split into their even and their odd elements (RoPE's pairs):
  /// shuffle_ps picks within 128-bit lanes, the 64-bit permute puts the lanes in order.
  static void deinterleave(Reg lo, Reg hi, Reg& even, Reg& odd) {
    even = in_lane_order(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));
    odd = in_lane_order(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));
  }
  /// The inverse of deinterleave.
  static void interleave(Reg even, Reg odd, Reg& lo, Reg& hi) {
    even = in_lane_order(even);
    odd = in_lane_order(odd);
    lo = _mm256_unpacklo_ps(even, odd);
    hi = _mm256_unpackhi_ps(even, odd);
  }
  /// 64-bit elements 0, 2, 1, 3 of v.
  static Reg in_lane_order(Reg v) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  /// v as it is (a product rounded to f32): the empty asm hides where it came from, so the
  /// compiler cannot contract it and a following add into one FMA.
  static Reg rounded(Reg v) {
    asm("" : "+x"(v));
    return v;
  }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm256_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm256_div_ps(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg max(Reg a, Reg b) { return _mm256_max_ps(a, b); }
  static Reg abs(Reg v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
  static float reduce_add(Reg v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float reduce_max(Reg v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
  }

  /// exp with a Cephes polynomial (about 1 ulp); inputs below ln(FLT_MIN) give exactly 0
  /// (so -inf gives 0, never NaN), inputs above 88 saturate (2^n must stay a normal float).
  static Reg exp(Reg x) {
    const Reg tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.33654f)), _mm256_set1_ps(88.0f));
    const Reg n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    Reg r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    Reg p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // 2^n built in the exponent field; n is in [-126, 127] after the clamp above.
    const __m256i e =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(tiny, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
  }

  /// x where mask[i] != 0, else fill (reads kWidth mask bytes).
  static Reg select(const std::uint8_t* mask, Reg x, Reg fill) {
    const __m256i m32 =
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mask)));
    const Reg keep = _mm256_castsi256_ps(_mm256_cmpgt_epi32(m32, _mm256_setzero_si256()));
    return _mm256_blendv_ps(fill, x, keep);
  }

  // All-ones in the first n lanes.
  static __m256i lane_mask(std::size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }

  struct Acc {
    __m256d lo, hi;
  };
  static Acc acc_zero() { return {_mm256_setzero_pd(), _mm256_setzero_pd()}; }
  static Acc acc_add(Acc acc, Reg v) {
    return {_mm256_add_pd(acc.lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v))),
            _mm256_add_pd(acc.hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)))};
  }
  static double acc_sum(Acc acc) {
    alignas(32) double lanes[4];
    _mm256_store_pd(lanes, _mm256_add_pd(acc.lo, acc.hi));
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  }
};
