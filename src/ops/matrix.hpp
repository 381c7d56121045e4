// A view of one weight matrix in its stored type, as the matmul kernels read it: nothing here
// owns memory (the Model's buffers or a test's do).
#pragma once

#include <cstdint>

#include "engine/dtype.hpp"

namespace engine {

/// A (rows, cols) weight matrix in its stored type.
struct Matrix {
  /// Row-major in a file; in a loaded model the layout of its type's format
  /// (src/ops/weight_format.hpp: f32, f16 and Q8_0 in panels of 32 rows, bf16 in the kernels'
  /// tiles of 4 rows, src/ops/tile_layout.hpp).
  const void* data = nullptr;
  DType dtype = DType::f32;
  int rows = 0;  // output features
  int cols = 0;  // input features
  /// oneDNN's blocked copy of the same weights (made at load for blocks of rows), or null: the
  /// row-wise kernels always read `data`.
  const void* packed = nullptr;
  /// The weights' panels for blocks of rows (ops/panel_matmul.hpp: f32 and f16 on AVX-512, Q8_0
  /// on AVX-512 VNNI): `data` itself, set at load instead of `packed`, or null.
  const void* panels = nullptr;

  /// Bytes of the stored matrix.
  std::uint64_t bytes() const;
  /// Rows [first, first + count) of row-major data as a matrix of their own (a view of the same
  /// data): e.g. the query, key and value parts of a fused QKV projection in a file.
  Matrix row_range(int first, int count) const;
};

}  // namespace engine
