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

  static Reg zero() { return 0.0f; }
  static Reg set1(float v) { return v; }
  static Reg load(const float* p) { return *p; }
  static void store(float* p, Reg v) { *p = v; }
  // kWidth is 1, so a partial vector is always empty.
  static Reg load_partial(const float*, std::size_t, float fill) { return fill; }
  static void store_partial(float*, Reg, std::size_t) {}
  /// A bf16 value widened to f32 (bf16 is the top half of an f32).
  static Reg load_bf16(const std::uint16_t* p) {
    const std::uint32_t bits = static_cast<std::uint32_t>(*p) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  static Reg load_f16(const std::uint16_t* p) { return engine::f16_to_f32(*p); }
  static Reg load_i8(const std::int8_t* p) { return static_cast<float>(*p); }
  static float f16_to_f32(std::uint16_t h) { return engine::f16_to_f32(h); }
  static Reg add(Reg a, Reg b) { return a + b; }
  static Reg sub(Reg a, Reg b) { return a - b; }
  static Reg mul(Reg a, Reg b) { return a * b; }
  static Reg div(Reg a, Reg b) { return a / b; }
  static Reg fmadd(Reg a, Reg b, Reg c) { return a * b + c; }
  static Reg max(Reg a, Reg b) { return a > b ? a : b; }
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
