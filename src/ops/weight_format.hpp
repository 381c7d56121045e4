// One home per weight element type: a WeightFormat names everything a type needs (its file
// blocks, the layout a load gives it, conversion from f32, the decode kernel, reading rows back
// as f32 for embeddings and for the block path, its panels) and is defined in one file under
// ops/formats/. The layer code and the load call these entries only, never branch on a DType:
// adding a type means adding one format and its tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/ops/isa.hpp"
#include "ops/matrix.hpp"

namespace engine {
namespace kernels {
struct KernelTable;
}

/// What a format's decode kernel takes the activations x (M, K) as.
enum class ActivationType : std::uint8_t {
  f32,
  bf16,  // rounded to bf16 (KernelTable::to_bf16)
  q8,    // quantised per 32 values (KernelTable::quantize_q8)
};

/// x (M, K) as the decode kernels take it: the f32 values, and the conversions made for the
/// call (null where no product of the call takes them).
struct Activations {
  const float* f32 = nullptr;               // (M, K)
  const std::uint16_t* bf16 = nullptr;      // (M, K)
  const std::int8_t* q8 = nullptr;          // (M, K)
  const float* q8_scales = nullptr;         // (M, K / 32)
  const std::int32_t* q8_sums16 = nullptr;  // (M, K / 16), KernelTable::q8_sums
  const float* q8_dsums32 = nullptr;        // (M, K / 32)
};

struct WeightFormat {
  DType dtype;
  std::string_view name;  // as --weight-type and `engine info` spell it
  std::uint32_t ggml_type;
  /// A row of a file holds whole blocks of block_values values in block_bytes each (1 value per
  /// block for f32, f16, bf16).
  std::size_t block_values, block_bytes;
  ActivationType activations;

  /// Bytes of a (rows, cols) matrix in the layout a load gives it.
  std::size_t (*loaded_bytes)(std::size_t rows, std::size_t cols);
  /// count <= kLayoutTileRows rows of file blocks (`file_rows`, row-major), rows [first, first +
  /// count) of a (rows, cols) matrix, first a multiple of kLayoutTileRows, to their place in the
  /// loaded layout at `loaded` (loaded_bytes, zeroed).
  void (*store_rows)(const std::uint8_t* file_rows, std::size_t first, std::size_t count,
                     std::size_t rows, std::size_t cols, std::uint8_t* loaded);
  /// n f32 values (whole blocks) to one row of file blocks; null when nothing converts to it.
  void (*quantize_row)(const float* in, std::uint8_t* out, std::size_t n);
  /// One row of file values (n) to f32: the formats a load converts from (f32, f16, bf16); null
  /// for the others.
  void (*widen_row)(const std::uint8_t* in, float* out, std::size_t n) = nullptr;
  /// Rows [first, first + count) of a loaded matrix as f32 values, out (count, w.cols).
  void (*load_rows)(const Matrix& w, std::size_t first, std::size_t count, float* out);
  /// The decode kernel: y[m * w.rows + r] = row r of w · x row m, for r in [row, row + rows)
  /// (row a multiple of 64) and m < M, with the kernels of `k`.
  void (*gemm_rows)(const kernels::KernelTable& k, const Matrix& w, std::size_t row,
                    std::size_t rows, const Activations& x, float* y, std::size_t M);

  /// Blocks of rows (prefill) on the format's own panels (ops/panel_matmul.hpp) from this ISA
  /// on; pack_panels null: never (oneDNN instead). panel_bytes 0: the loaded layout is the
  /// panels, which pack_panels returns (one copy of the weights for decode and blocks).
  Isa panel_isa;
  std::size_t (*panel_bytes)(const Matrix& w);
  const void* (*pack_panels)(const Matrix& w, std::uint8_t* out);
  /// oneDNN (the block path without panels) runs this format bf16 x bf16 (else f32, on rows
  /// read back by load_rows), and on a packed copy made at load.
  bool onednn_bf16, onednn_packs;
  /// Blocks of rows run on gemm_rows as decode does, never the block path: its register tiles
  /// reuse each unpacked weight vector for several rows of x, which beats expanding the rows
  /// for oneDNN.
  bool blocks_on_rows = false;
};

/// The format of `dtype`.
const WeightFormat& weight_format(DType dtype);
/// Every format, f32 first.
std::span<const WeightFormat* const> weight_formats();

/// Bytes of one file row of `cols` values (whole blocks) in format f.
inline std::size_t file_row_bytes(const WeightFormat& f, std::size_t cols) {
  return cols / f.block_values * f.block_bytes;
}
/// Whether rows of `cols` values are whole blocks of f.
inline bool whole_blocks(const WeightFormat& f, std::size_t cols) {
  return cols % f.block_values == 0;
}

}  // namespace engine
