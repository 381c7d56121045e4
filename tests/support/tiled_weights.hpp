// Matrices for the kernel tests, laid out as a model load does: f32, bf16 and f16 from rows of
// values in tiles (store_tile), Q8_0 from GGUF blocks made from f32 rows (quantize_row_q8_0),
// which a test may edit, in panels (the format's store_rows).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ops/matmul.hpp"
#include "ops/matrix.hpp"
#include "ops/quantize.hpp"
#include "ops/tile_layout.hpp"
#include "ops/weight_format.hpp"

namespace engine::test {

/// Rows of values (rows, cols) in the tile layout the kernels read.
/// `offset` values into the allocation (misaligned for the kernels' loads).
template <typename T>
struct Tiles {
  std::vector<T> values;
  std::size_t offset;
  Tiles(const T* rows_of_values, std::size_t rows, std::size_t cols, std::size_t offset = 0)
      : values(offset + tiled_values<T>(rows, cols)), offset(offset) {
    for (std::size_t r = 0; r < rows; r += kLayoutTileRows)
      store_tile(rows_of_values + r * cols, r, std::min(kLayoutTileRows, rows - r), cols, data());
  }
  T* data() { return values.data() + offset; }
  const T* data() const { return values.data() + offset; }
};

/// A loaded model's matrix (in tiles) as its values, row-major (rows, cols), read with matrix_row.
inline std::vector<float> matrix_values(const Matrix& m) {
  std::vector<float> values(static_cast<std::size_t>(m.rows) * m.cols);
  for (int r = 0; r < m.rows; ++r)
    matrix_row(m, r, values.data() + static_cast<std::size_t>(r) * m.cols);
  return values;
}

/// w (rows, cols) as rows of GGUF Q8_0 blocks (34 bytes per 32 values).
inline std::vector<std::uint8_t> q8_0_blocks(const float* w, std::size_t rows, std::size_t cols) {
  const std::size_t row_bytes = cols / 32 * 34;
  std::vector<std::uint8_t> blocks(rows * row_bytes);
  for (std::size_t r = 0; r < rows; ++r)
    quantize_row_q8_0(w + r * cols, blocks.data() + r * row_bytes, cols);
  return blocks;
}

/// Those blocks in the panels a load gives them (the format's store_rows, four rows at a time as
/// a load calls it; ops/formats/q8_0_panels.hpp), `offset` bytes into the allocation.
struct Q8_0Loaded {
  std::vector<std::uint8_t> bytes;
  std::size_t offset;
  Q8_0Loaded(const std::vector<std::uint8_t>& blocks, std::size_t rows, std::size_t cols,
             std::size_t offset = 0)
      : bytes(offset + weight_format(DType::q8_0).loaded_bytes(rows, cols)), offset(offset) {
    for (std::size_t r = 0; r < rows; r += kLayoutTileRows)
      weight_format(DType::q8_0)
          .store_rows(blocks.data() + r * (cols / 32 * 34), r, std::min(kLayoutTileRows, rows - r),
                      rows, cols, data());
  }
  std::uint8_t* data() { return bytes.data() + offset; }
  const std::uint8_t* data() const { return bytes.data() + offset; }
};

}  // namespace engine::test
