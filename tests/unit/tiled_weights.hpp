// bf16 and Q8_0 matrices for the kernel tests, laid out in tiles as a model load does
// (store_row_bf16_tiled, store_row_q8_0_tiled): bf16 from rows of values, Q8_0 from GGUF blocks
// made from f32 rows (quantize_row_q8_0), which a test may edit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ops/quantize.hpp"
#include "ops/tile_layout.hpp"

namespace engine::test {

/// bf16 rows (rows, cols) in the tile layout the kernels read.
struct Bf16Tiles {
  std::vector<std::uint16_t> values;
  Bf16Tiles(const std::uint16_t* rows_of_values, std::size_t rows, std::size_t cols)
      : values(bf16_tiled_values(rows, cols)) {
    for (std::size_t r = 0; r < rows; ++r)
      store_row_bf16_tiled(rows_of_values + r * cols, r, cols, values.data());
  }
};

/// w (rows, cols) as rows of GGUF Q8_0 blocks (34 bytes per 32 values).
inline std::vector<std::uint8_t> q8_0_blocks(const float* w, std::size_t rows, std::size_t cols) {
  const std::size_t row_bytes = cols / 32 * 34;
  std::vector<std::uint8_t> blocks(rows * row_bytes);
  for (std::size_t r = 0; r < rows; ++r)
    quantize_row_q8_0(w + r * cols, blocks.data() + r * row_bytes, cols);
  return blocks;
}

/// Those blocks in the tile layout the kernels read.
struct Q8_0Tiles {
  std::vector<std::uint8_t> bytes;
  Q8_0Tiles(const std::vector<std::uint8_t>& blocks, std::size_t rows, std::size_t cols)
      : bytes(q8_tiled_bytes(rows, cols)) {
    for (std::size_t r = 0; r < rows; ++r)
      store_row_q8_0_tiled(blocks.data() + r * (cols / 32 * 34), r, rows, cols, bytes.data());
    parts = q8_tiled_parts(bytes.data(), rows, cols);
  }
  Q8TiledParts parts;
};

}  // namespace engine::test
