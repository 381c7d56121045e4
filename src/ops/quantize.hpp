// Converting f32 weights to the compact stored types, once at load.
#pragma once

#include <cstddef>
#include <cstdint>

namespace engine {

/// n f32 values to bf16 (round to nearest even).
void quantize_bf16(const float* in, std::uint16_t* out, std::size_t n);

/// One row of n (a multiple of 32) f32 values to Q8_0 blocks: per 32 values one f16 scale
/// d = max|x| / 127 followed by 32 int8 round(x / d); n/32 * 34 bytes.
void quantize_row_q8_0(const float* in, std::uint8_t* out, std::size_t n);

}  // namespace engine
