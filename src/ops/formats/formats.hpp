// The formats of ops/weight_format.hpp, each defined in a file of its own here, for the one
// table weight_format() reads.
#pragma once

#include "ops/weight_format.hpp"

namespace engine::formats {

extern const WeightFormat f32;   // f32_format.cpp
extern const WeightFormat bf16;  // half_formats.cpp
extern const WeightFormat f16;   // half_formats.cpp
extern const WeightFormat q8_0;  // q8_0_format.cpp
extern const WeightFormat q4_0;  // block_formats.cpp: the ggml blocks read as the file has them
extern const WeightFormat q4_1;
extern const WeightFormat q5_0;
extern const WeightFormat q5_1;
extern const WeightFormat q2_k;
extern const WeightFormat q3_k;
extern const WeightFormat q4_k;
extern const WeightFormat q5_k;
extern const WeightFormat q6_k;

/// The panels of a format whose loaded layout is its panels (f32, f16, Q8_0): the loaded matrix
/// itself, no copy.
inline std::size_t no_panel_bytes(const Matrix&) {
  return 0;
}
inline const void* loaded_panels(const Matrix& w, std::uint8_t*) {
  return w.data;
}

}  // namespace engine::formats
