// 16-bit float formats: IEEE half (f16, GGUF scales) and bfloat16 (the top half of an f32).
#pragma once

#include <cstdint>

namespace engine {

float f16_to_f32(std::uint16_t h);
/// Round to nearest even; overflow gives infinity.
std::uint16_t f32_to_f16(float f);
float bf16_to_f32(std::uint16_t b);
/// Round to nearest even (NaN stays NaN).
std::uint16_t f32_to_bf16(float f);

}  // namespace engine
