// bf16 and f16 weights. bf16: values in the tile layout (ops/tile_layout.hpp), run bf16 x bf16 (x
// rounded by to_bf16; oneDNN for blocks of rows, on a packed copy). f16: values in panels of 32
// rows (value_panels.hpp), widened to f32 in registers against f32 x, for decode and (AVX-512)
// blocks of rows alike; elsewhere blocks run oneDNN on rows widened to f32.
#include "format/gguf_tensor_type.hpp"
#include "ops/formats/formats.hpp"
#include "ops/formats/value_panels.hpp"
#include "ops/half.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/tile_layout.hpp"

namespace engine::formats {
namespace {

using Half = std::uint16_t;

// n f32 values to a row of halves rounded by `narrow`.
template <Half (*narrow)(float)>
void quantize_half_row(const float* in, std::uint8_t* out, std::size_t n) {
  Half* half = reinterpret_cast<Half*>(out);
  for (std::size_t i = 0; i < n; ++i) half[i] = narrow(in[i]);
}

std::size_t bf16_loaded_bytes(std::size_t rows, std::size_t cols) {
  return tiled_values<Half>(rows, cols) * sizeof(Half);
}

void store_bf16_rows(const std::uint8_t* file_rows, std::size_t first, std::size_t count,
                     std::size_t, std::size_t cols, std::uint8_t* loaded) {
  store_tile(reinterpret_cast<const Half*>(file_rows), first, count, cols,
             reinterpret_cast<Half*>(loaded));
}

// bf16 rows, value by value out of the tiles.
void load_bf16_rows(const Matrix& w, std::size_t first, std::size_t count, float* out) {
  const std::size_t K = w.cols, groups = tile_groups<Half>(K);
  const auto* tiled = static_cast<const Half*>(w.data);
  for (std::size_t r = 0; r < count; ++r, out += K)
    for (std::size_t c = 0; c < K; ++c)
      out[c] = bf16_to_f32(tiled[tile_offset<Half>(groups, first + r, c)]);
}

void gemm_rows_bf16(const kernels::KernelTable& k, const Matrix& w, std::size_t row,
                    std::size_t rows, const Activations& x, float* y, std::size_t M) {
  const Half* tiles =
      static_cast<const Half*>(w.data) + tile_offset<Half>(tile_groups<Half>(w.cols), row, 0);
  k.gemm_bf16(tiles, x.bf16, y + row, rows, w.cols, M, w.rows);
}

// F16C through the kernel table: oneDNN takes an f16 matrix's rows widened per block of rows.
void widen_f16(const Half* in, float* out, std::size_t n) {
  kernels::kernels().widen_f16(in, out, n);
}

}  // namespace

const WeightFormat bf16{
    .dtype = DType::bf16,
    .name = "bf16",
    .ggml_type = kGgmlBf16,
    .block_values = 1,
    .block_bytes = sizeof(Half),
    .activations = ActivationType::bf16,
    .loaded_bytes = bf16_loaded_bytes,
    .store_rows = store_bf16_rows,
    .quantize_row = quantize_half_row<f32_to_bf16>,
    .load_rows = load_bf16_rows,
    .gemm_rows = gemm_rows_bf16,
    .panel_isa = Isa::scalar,
    .panel_bytes = nullptr,
    .pack_panels = nullptr,
    .onednn_bf16 = true,
    .onednn_packs = true,
};

const WeightFormat f16{
    .dtype = DType::f16,
    .name = "f16",
    .ggml_type = kGgmlF16,
    .block_values = 1,
    .block_bytes = sizeof(Half),
    .activations = ActivationType::f32,
    .loaded_bytes = value_panels_bytes<Half>,
    .store_rows = store_value_rows<Half>,
    .quantize_row = quantize_half_row<f32_to_f16>,
    .load_rows = load_value_rows<Half, widen_f16>,
    .gemm_rows = gemm_value_panels<Half, &kernels::KernelTable::gemm_f16_decode_panels>,
    .panel_isa = Isa::avx512,
    .panel_bytes = no_panel_bytes,
    .pack_panels = loaded_panels,
    .onednn_bf16 = false,
    .onednn_packs = false,
};

}  // namespace engine::formats
