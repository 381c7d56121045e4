// The element types weights can be stored in (Model::load converts to one of them).
#pragma once

#include <cstdint>
#include <string_view>

namespace engine {

/// Element types weights can be stored in: plain values, and ggml's blocks (ggml-common.h).
enum class DType : std::uint8_t {
  f32,
  f16,
  bf16,
  q8_0,  ///< blocks of 32 int8 with one f16 scale (GGUF Q8_0)
  q4_0,  ///< blocks of 32 4-bit quants and an f16 scale
  q4_1,  ///< ... and an f16 minimum
  q5_0,  ///< blocks of 32 5-bit quants and an f16 scale
  q5_1,  ///< ... and an f16 minimum
  q2_k,  ///< super-blocks of 256 values in sub-blocks with quantised scales (and minima)
  q3_k,
  q4_k,
  q5_k,
  q6_k,
};
/// "f32", "f16", "bf16", "q8_0", "q4_0", ..., "q6_k".
std::string_view dtype_name(DType dtype);
/// Parses a dtype_name (any case; "q8" is accepted for q8_0); throws engine::Error otherwise.
DType parse_dtype(std::string_view name);

}  // namespace engine
