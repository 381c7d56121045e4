// Vec for AVX-512 (F/BW/VL/DQ): 16 floats per register. Compiled a second time with VNNI and
// AVX512_BF16 enabled (the avx512_vnni_bf16 ISA), where the Q8 and bf16 dot products use
// vpdpbusd and vdpbf16ps; the compiler's feature macros pick the instructions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/kernels/intrinsics.hpp"

struct Vec {
  using Reg = __m512;
  static constexpr int kWidth = 16;
  static constexpr int kRegisters = 32;

  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg set1(float v) { return _mm512_set1_ps(v); }
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  /// The first n < kWidth lanes from p, the rest `fill`; reads nothing past p[n-1].
  static Reg load_partial(const float* p, std::size_t n, float fill) {
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), lane_mask(n), p);
  }
  static void store_partial(float* p, Reg v, std::size_t n) {
    _mm512_mask_storeu_ps(p, lane_mask(n), v);
  }
  /// kWidth bf16 values widened to f32 (bf16 is the top half of an f32).
  static Reg load_bf16(const std::uint16_t* p) {
    return widen_bf16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  /// kWidth IEEE half values widened to f32.
  static Reg load_f16(const std::uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  /// kWidth int8 values converted to f32.
  static Reg load_i8(const std::int8_t* p) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(b));
  }
  /// A hint to start loading the cache line at p into L2 (never faults). Into L2 (T1), not L1
  /// (T0): the L1's fill buffers stay free for the loads themselves (faster decode and panel
  /// prefill for every type than T0).
  static void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T1); }

  /// kWidth lanes rounded to the nearest integer (ties to even) stored as int8 (|v| <= 127).
  static void store_i8(std::int8_t* p, Reg v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(v)));
  }
  /// kWidth lanes rounded to bf16 (nearest even; the caller has no NaN).
  static void store_bf16(std::uint16_t* p, Reg v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_add_epi32(u, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p),
                        _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded, 16)));
  }

  /// kWidth int32 lanes: the integer sums of a Q8 panel block (ops/panel_layout.hpp).
  using I32 = __m512i;
  static I32 i32_set1(std::int32_t v) { return _mm512_set1_epi32(v); }
  static I32 i32_load(const std::uint8_t* p) { return _mm512_loadu_si512(p); }
  /// acc + in each lane the dot product of w's 4 unsigned bytes there with the 4 int8 of x4.
  static I32 dot_u8x4(I32 acc, I32 bytes, std::int32_t x4) {
#if defined(__AVX512VNNI__)
    return _mm512_dpbusd_epi32(acc, bytes, _mm512_set1_epi32(x4));
#else
    // The bytes widened to int16 (255 * 127 fits), pairs summed by madd into the even and odd
    // int32 of each lane pair, the pairs added, the even lanes of both halves gathered.
    const __m512i x = _mm512_cvtepi8_epi16(_mm256_set1_epi32(x4));
    const __m512i lo = _mm512_madd_epi16(_mm512_cvtepu8_epi16(_mm512_castsi512_si256(bytes)), x);
    const __m512i hi =
        _mm512_madd_epi16(_mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(bytes, 1)), x);
    const __m512i even =
        _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i sums =
        _mm512_permutex2var_epi32(_mm512_add_epi32(lo, _mm512_srli_epi64(lo, 32)), even,
                                  _mm512_add_epi32(hi, _mm512_srli_epi64(hi, 32)));
    return _mm512_add_epi32(acc, sums);
#endif
  }
  static Reg i32_to_f32(I32 v) {
    return _mm512_cvtepi32_ps(v);
  }
  /// kWidth bytes at p widened to int32 lanes (the quants of the ggml block formats).
  static I32 i32_load_u8(const std::uint8_t* p) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  /// (v >> shift) & mask in each lane.
  static I32 i32_bits(I32 v, int shift, std::int32_t mask) {
    return _mm512_and_si512(_mm512_srli_epi32(v, static_cast<unsigned>(shift)),
                            _mm512_set1_epi32(mask));
  }
  static I32 i32_or(I32 a, I32 b) {
    return _mm512_or_si512(a, b);
  }
  static I32 i32_shl(I32 v, int shift) {
    return _mm512_slli_epi32(v, static_cast<unsigned>(shift));
  }
  static I32 i32_add(I32 a, I32 b) {
    return _mm512_add_epi32(a, b);
  }
  static I32 i32_mul(I32 a, I32 b) {
    return _mm512_mullo_epi32(a, b);
  }
  /// kWidth int8 at p widened to int32 lanes.
  static I32 i32_load_s8(const std::uint8_t* p) {
    return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }

#if defined(__AVX512BF16__)
  /// kWidth pairs of bf16 values, pair i the two at p + 2i (a bf16 panel's step: two values of
  /// k for kWidth features), or one pair (low half first) in every lane.
  using Bf16Pairs = __m512bh;
  static Bf16Pairs load_bf16_pairs(const std::uint16_t* p) {
    return reinterpret_cast<__m512bh>(_mm512_loadu_si512(p));
  }
  static Bf16Pairs set1_bf16_pair(std::uint32_t pair) {
    return reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(pair)));
  }
  /// acc + the two products of each lane's pairs (vdpbf16ps).
  static Reg dot_bf16_pairs(Reg acc, Bf16Pairs a, Bf16Pairs b) {
    return _mm512_dpbf16_ps(acc, a, b);
  }
#else
  /// kWidth pairs of bf16 values, pair i the two at p + 2i (a bf16 panel's step: two values of
  /// k for kWidth features), or one pair (low half first) in every lane; widened to f32 by
  /// shifting (exact), the first values in `even`, the second in `odd`.
  struct Bf16Pairs {
    Reg even, odd;
  };
  static Bf16Pairs load_bf16_pairs(const std::uint16_t* p) {
    return widen_bf16_pairs(_mm512_loadu_si512(p));
  }
  static Bf16Pairs set1_bf16_pair(std::uint32_t pair) {
    return widen_bf16_pairs(_mm512_set1_epi32(static_cast<int>(pair)));
  }
  static Bf16Pairs widen_bf16_pairs(__m512i h) {
    return {_mm512_castsi512_ps(_mm512_slli_epi32(h, 16)),
            _mm512_castsi512_ps(_mm512_and_si512(h, _mm512_set1_epi32(-65536)))};
  }
  /// acc + the two products of each lane's pairs (exact in f32), the first one first.
  static Reg dot_bf16_pairs(Reg acc, Bf16Pairs a, Bf16Pairs b) {
    return fmadd(a.odd, b.odd, fmadd(a.even, b.even, acc));
  }
#endif
  static Reg widen_bf16(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  /// The 2 * kWidth floats lo, hi split into their even and their odd elements (RoPE's pairs).
  static void deinterleave(Reg lo, Reg hi, Reg& even, Reg& odd) {
    even = _mm512_permutex2var_ps(
        lo, _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0), hi);
    odd = _mm512_permutex2var_ps(
        lo, _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1), hi);
  }
  /// The inverse of deinterleave.
  static void interleave(Reg even, Reg odd, Reg& lo, Reg& hi) {
    lo = _mm512_permutex2var_ps(
        even, _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0), odd);
    hi = _mm512_permutex2var_ps(
        even, _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8), odd);
  }
  /// v as it is (a product rounded to f32): the empty asm hides where it came from, so the
  /// compiler cannot contract it and a following add into one FMA.
  static Reg rounded(Reg v) {
    asm("" : "+v"(v));
    return v;
  }
  static Reg add(Reg a, Reg b) {
    return _mm512_add_ps(a, b);
  }
  static Reg sub(Reg a, Reg b) {
    return _mm512_sub_ps(a, b);
  }
  static Reg mul(Reg a, Reg b) {
    return _mm512_mul_ps(a, b);
  }
  static Reg div(Reg a, Reg b) {
    return _mm512_div_ps(a, b);
  }
  static Reg fmadd(Reg a, Reg b, Reg c) {
    return _mm512_fmadd_ps(a, b, c);
  }
  static Reg max(Reg a, Reg b) {
    return _mm512_max_ps(a, b);
  }
  static Reg abs(Reg v) {
    return _mm512_abs_ps(v);
  }
  static float reduce_add(Reg v) {
    return _mm512_reduce_add_ps(v);
  }
  static float reduce_max(Reg v) {
    return _mm512_reduce_max_ps(v);
  }

  /// exp with a Cephes polynomial (about 1 ulp) and vscalefps for 2^n; inputs below
  /// ln(FLT_MIN) give exactly 0 (so -inf gives 0, never NaN), inputs above 88.37 saturate.
  static Reg exp(Reg x) {
    const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.33654f), _CMP_LT_OQ);
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.33654f)), _mm512_set1_ps(88.3762626f));
    const Reg n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    Reg r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    Reg p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_maskz_scalef_ps(static_cast<__mmask16>(~tiny), p, n);
  }

  /// x where mask[i] != 0, else fill (reads kWidth mask bytes).
  static Reg select(const std::uint8_t* mask, Reg x, Reg fill) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(mask));
    return _mm512_mask_blend_ps(_mm_test_epi8_mask(bytes, bytes), fill, x);
  }

  static __mmask16 lane_mask(std::size_t n) {
    return static_cast<__mmask16>((1u << n) - 1);
  }

  struct Acc {
    __m512d lo, hi;
  };
  static Acc acc_zero() {
    return {_mm512_setzero_pd(), _mm512_setzero_pd()};
  }
  static Acc acc_add(Acc acc, Reg v) {
    return {_mm512_add_pd(acc.lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v))),
            _mm512_add_pd(acc.hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)))};
  }
  static double acc_sum(Acc acc) {
    return _mm512_reduce_add_pd(_mm512_add_pd(acc.lo, acc.hi));
  }
};
