// Vec for the scalar ISA: one float per "register". The reference every SIMD kernel is tested
// against, so it uses libm's expf and plain sequential arithmetic.
#pragma once

#include <cmath>
#include <cstdint>

struct Vec {
  using Reg = float;
  static constexpr int kWidth = 1;

  static Reg zero() { return 0.0f; }
  static Reg set1(float v) { return v; }
  static Reg load(const float* p) { return *p; }
  static void store(float* p, Reg v) { *p = v; }
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
