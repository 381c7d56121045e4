// f32 weights: values in the tile layout (ops/tile_layout.hpp) for the f32 decode kernel; blocks
// of rows on f32 panels with AVX-512 (ops/panel_matmul.hpp), else oneDNN on a packed copy.
#include <cstring>

#include "format/gguf_tensor_type.hpp"
#include "ops/formats/formats.hpp"
#include "ops/formats/value_panels.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/tile_layout.hpp"

namespace engine::formats {
namespace {

std::size_t loaded_bytes(std::size_t rows, std::size_t cols) {
  return tiled_values<float>(rows, cols) * sizeof(float);
}

void store_rows(const std::uint8_t* file_rows, std::size_t first, std::size_t count, std::size_t,
                std::size_t cols, std::uint8_t* loaded) {
  store_tile(reinterpret_cast<const float*>(file_rows), first, count, cols,
             reinterpret_cast<float*>(loaded));
}

void quantize_row(const float* in, std::uint8_t* out, std::size_t n) {
  std::memcpy(out, in, n * sizeof(float));
}

void load_rows(const Matrix& w, std::size_t first, std::size_t count, float* out) {
  load_rows_tiled(static_cast<const float*>(w.data), first, count, w.cols, out);
}

void gemm_rows(const kernels::KernelTable& k, const Matrix& w, std::size_t row, std::size_t rows,
               const Activations& x, float* y, std::size_t M) {
  const std::size_t K = w.cols;
  const float* tiles =
      static_cast<const float*>(w.data) + tile_offset<float>(tile_groups<float>(K), row, 0);
  k.gemm(tiles, x.f32, y + row, rows, K, M, w.rows);
}

}  // namespace

const WeightFormat f32{
    .dtype = DType::f32,
    .name = "f32",
    .ggml_type = kGgmlF32,
    .block_values = 1,
    .block_bytes = sizeof(float),
    .activations = ActivationType::f32,
    .loaded_bytes = loaded_bytes,
    .store_rows = store_rows,
    .quantize_row = quantize_row,
    .load_rows = load_rows,
    .gemm_rows = gemm_rows,
    .panel_isa = Isa::avx512,
    .panel_bytes = value_panel_bytes<float>,
    .pack_panels = pack_value_panels<float>,
    .onednn_bf16 = false,
    .onednn_packs = true,
};

}  // namespace engine::formats
