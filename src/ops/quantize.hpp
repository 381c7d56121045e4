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

/// Copies row r of a (rows, cols) Q8_0 matrix, its GGUF blocks at `row`, to its places in the
/// tile layout at `tiled` (ops/tile_layout.hpp; q8_tiled_bytes, zeroed for the padding).
void store_row_q8_0_tiled(const std::uint8_t* row, std::size_t r, std::size_t rows,
                          std::size_t cols, std::uint8_t* tiled);

/// Rows [first, first + count) of a tiled (rows, cols) Q8_0 matrix back to f32 values, out
/// (count, cols): quant * scale, exact.
void dequantize_rows_q8_0_tiled(const void* tiled, std::size_t first, std::size_t count,
                                std::size_t rows, std::size_t cols, float* out);

}  // namespace engine
