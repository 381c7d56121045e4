// Vec for the scalar ISA: one float per "register". The reference every SIMD kernel is tested
// against, so it uses libm's expf and plain sequential arithmetic.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

struct Vec {
  using Reg = float;
  static constexpr int kWidth = 1;
  static constexpr int kRegisters = 16;

  static Reg zero() { return 0.0f; }
  static Reg set1(float v) { return v; }
  static Reg load(const float* p) { return *p; }
  static void store(float* p, Reg v) { *p = v; }
  // kWidth is 1, so a partial vector is always empty.
  static Reg load_partial(const float*, std::size_t, float fill) { return fill; }
  static void store_partial(float*, Reg, std::size_t) {}
  /// A 16-bit value at any address: halves packed in quant panels need not be 2-byte aligned,
  /// as the vector ISAs' unaligned loads allow.
  static std::uint16_t load_half(const std::uint16_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return h;
  }
  /// A bf16 value widened to f32 (bf16 is the top half of an f32).
  static Reg load_bf16(const std::uint16_t* p) {
    const std::uint32_t bits = static_cast<std::uint32_t>(load_half(p)) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  static Reg load_f16(const std::uint16_t* p) { return engine::f16_to_f32(load_half(p)); }
  static Reg load_i8(const std::int8_t* p) { return static_cast<float>(*p); }
  static void prefetch(const void*) {}

  /// v rounded to the nearest integer (ties to even, as cvtps2dq) as int8 (|v| <= 127).
  static void store_i8(std::int8_t* p, Reg v) {
    *p = static_cast<std::int8_t>(static_cast<int>(std::nearbyint(v)));
  }
  static void store_bf16(std::uint16_t* p, Reg v) { *p = engine::f32_to_bf16(v); }

  /// kWidth int32 lanes: the integer sums of a Q8 panel block (ops/panel_layout.hpp).
  using I32 = std::int32_t;
  static I32 i32_set1(std::int32_t v) { return v; }
  static I32 i32_load(const std::uint8_t* p) {
    I32 v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  /// acc + in each lane the dot product of w's 4 unsigned bytes there with the 4 int8 of x4.
  static I32 dot_u8x4(I32 acc, I32 w, std::int32_t x4) {
    std::uint8_t u[4];
    std::int8_t x[4];
    std::memcpy(u, &w, sizeof u);
    std::memcpy(x, &x4, sizeof x);
    for (int t = 0; t < 4; ++t) acc += u[t] * x[t];
    return acc;
  }
  static Reg i32_to_f32(I32 v) { return static_cast<float>(v); }
  /// kWidth bytes at p widened to int32 lanes (the quants of the ggml block formats).
  static I32 i32_load_u8(const std::uint8_t* p) { return *p; }
  /// (v >> shift) & mask in each lane.
  static I32 i32_bits(I32 v, int shift, std::int32_t mask) { return (v >> shift) & mask; }
  static I32 i32_or(I32 a, I32 b) { return a | b; }
  static I32 i32_shl(I32 v, int shift) { return v << shift; }
  static I32 i32_add(I32 a, I32 b) { return a + b; }
  static I32 i32_mul(I32 a, I32 b) { return a * b; }
  /// kWidth int8 at p widened to int32 lanes.
  static I32 i32_load_s8(const std::uint8_t* p) { return static_cast<std::int8_t>(*p); }

  /// A pair of bf16 values at p (a bf16 panel's step: two values of k for one feature), or
  /// `pair` (low half first), widened to f32.
  struct Bf16Pairs {
    Reg even, odd;
  };
  static Bf16Pairs load_bf16_pairs(const std::uint16_t* p) {
    return {load_bf16(p), load_bf16(p + 1)};
  }
  static Bf16Pairs set1_bf16_pair(std::uint32_t pair) {
    const std::uint16_t halves[2] = {static_cast<std::uint16_t>(pair),
                                     static_cast<std::uint16_t>(pair >> 16)};
    return load_bf16_pairs(halves);
  }
  /// acc + the two products, the first one first.
  static Reg dot_bf16_pairs(Reg acc, Bf16Pairs a, Bf16Pairs b) {
    return fmadd(a.odd, b.odd, fmadd(a.even, b.even, acc));
  }
  /// The 2 * kWidth floats lo, hi split into their even and their odd elements (RoPE's pairs).
  static void deinterleave(Reg lo, Reg hi, Reg& even, Reg& odd) {
    even = lo;
    odd = hi;
  }
  /// The inverse of deinterleave.
  static void interleave(Reg even, Reg odd, Reg& lo, Reg& hi) {
    lo = even;
    hi = odd;
  }
  /// v as it is: this ISA has no FMA to contract a product into.
  static Reg rounded(Reg v) { return v; }
  static Reg add(Reg a, Reg b) { return a + b; }
  static Reg sub(Reg a, Reg b) { return a - b; }
  static Reg mul(Reg a, Reg b) { return a * b; }
  static Reg div(Reg a, Reg b) { return a / b; }
  static Reg fmadd(Reg a, Reg b, Reg c) { return a * b + c; }
  static Reg max(Reg a, Reg b) { return a > b ? a : b; }
  static Reg abs(Reg v) { return std::fabs(v); }
  static float reduce_add(Reg v) { return v; }
  static float reduce_max(Reg v) { return v; }
  static Reg exp(Reg x) { return std::exp(x); }
  /// x where mask[0] != 0, else fill.
  static Reg select(const std::uint8_t* mask, Reg x, Reg fill) { return *mask ? x : fill; }

  // Double-precision accumulator for long sums (softmax denominators, sums of squares).
  using Acc = double;
  static Acc acc_zero() { return 0.0; }
  static Acc acc_add(Acc acc, Reg v) { return acc + static_cast<double>(v); }
  static double acc_sum(Acc acc) { return acc; }
};
