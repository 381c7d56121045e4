// Matrices for the kernel tests, laid out as a model load does: values in tiles (store_tile, as
// bf16 loads), any format's file rows as its store_rows lays them out (f32 and f16 in panels,
// Q8_0 from GGUF blocks made from f32 rows by quantize_row_q8_0, which a test may edit).
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

/// Rows of a file's type (`file_rows`, row-major: f32 or half values, Q8_0 blocks) to the layout
/// a load gives them at `loaded` (loaded_bytes, zeroed): the format's store_rows, four rows at a
/// time as a load calls it.
inline void store_loaded(DType type, const void* file_rows, std::size_t rows, std::size_t cols,
                         std::uint8_t* loaded) {
  const WeightFormat& f = weight_format(type);
  const auto* in = static_cast<const std::uint8_t*>(file_rows);
  for (std::size_t r = 0; r < rows; r += kLayoutTileRows)
    f.store_rows(in + r * file_row_bytes(f, cols), r, std::min(kLayoutTileRows, rows - r), rows,
                 cols, loaded);
}

/// Those rows in the layout a load gives them, `offset` bytes into the allocation.
struct Loaded {
  std::vector<std::uint8_t> bytes;
  std::size_t offset;
  Loaded(DType type, const void* file_rows, std::size_t rows, std::size_t cols,
         std::size_t offset = 0)
      : bytes(offset + weight_format(type).loaded_bytes(rows, cols)), offset(offset) {
    store_loaded(type, file_rows, rows, cols, data());
  }
  std::uint8_t* data() { return bytes.data() + offset; }
  const std::uint8_t* data() const { return bytes.data() + offset; }
};

/// Q8_0 blocks in the panels a load gives them (ops/formats/q8_0_panels.hpp).
struct Q8_0Loaded : Loaded {
  Q8_0Loaded(const std::vector<std::uint8_t>& blocks, std::size_t rows, std::size_t cols,
             std::size_t offset = 0)
      : Loaded(DType::q8_0, blocks.data(), rows, cols, offset) {}
};

}  // namespace engine::test
