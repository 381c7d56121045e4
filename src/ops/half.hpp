// 16-bit float formats: IEEE half (f16, GGUF scales) and bfloat16 (the top half of an f32).
#pragma once

#include <bit>
#include <cstdint>

namespace engine {

/// Exact (every half is an f32). Inline and branch-free (each case computed, one picked), so
/// that loops over it vectorise: a Q8_0 block's scale is one. No f32 subnormal is formed, so a
/// caller's denormals-are-zero mode cannot change the result.
inline float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  // Normal: the exponent rebased from 15 to 127, the mantissa in its place.
  const std::uint32_t normal = (exponent + 127 - 15) << 23 | mantissa << 13;
  // Zero or subnormal: mantissa * 2^-24, a normal f32 (or zero).
  const std::uint32_t small = std::bit_cast<std::uint32_t>(static_cast<float>(mantissa) * 0x1p-24f);
  const std::uint32_t special = 0x7f800000 | mantissa << 13;  // infinity, NaN
  return std::bit_cast<float>(sign | (exponent == 0 ? small : exponent == 31 ? special : normal));
}
/// Round to nearest even; overflow gives infinity.
std::uint16_t f32_to_f16(float f);
inline float bf16_to_f32(std::uint16_t b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}
/// Round to nearest even (NaN stays NaN, quieted). Inline and branch-free, so that loops over it
/// vectorise: a load converting 110M to bf16 spent a quarter of its time in calls to it.
inline std::uint16_t f32_to_bf16(float f) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  const std::uint32_t rounded = (u + 0x7fff + ((u >> 16) & 1)) >> 16;
  const std::uint32_t quiet_nan = (u >> 16) | 0x40;
  return static_cast<std::uint16_t>((u & 0x7fffffff) > 0x7f800000 ? quiet_nan : rounded);
}

}  // namespace engine
