// 16-bit float formats: IEEE half (f16, GGUF scales) and bfloat16 (the top half of an f32).
#pragma once

#include <bit>
#include <cstdint>

namespace engine {

float f16_to_f32(std::uint16_t h);
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
