// bf16 and f16 weights: 16-bit values in the tile layout (ops/tile_layout.hpp). bf16 runs bf16 x
// bf16 (x rounded by to_bf16; oneDNN for blocks of rows, on a packed copy), f16 widens its values
// to f32 against f32 x (blocks: with AVX-512 on f16 panels widened in registers, else oneDNN on
// rows widened to f32 by the kernel table, F16C).
#include "format/gguf_tensor_type.hpp"
#include "ops/formats/formats.hpp"
#include "ops/formats/value_panels.hpp"
#include "ops/half.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/tile_layout.hpp"

namespace engine::formats {
namespace {

using Half = std::uint16_t;

std::size_t loaded_bytes(std::size_t rows, std::size_t cols) {
  return tiled_values<Half>(rows, cols) * sizeof(Half);
}

void store_rows(const std::uint8_t* file_rows, std::size_t first, std::size_t count, std::size_t,
                std::size_t cols, std::uint8_t* loaded) {
  store_tile(reinterpret_cast<const Half*>(file_rows), first, count, cols,
             reinterpret_cast<Half*>(loaded));
}

struct WidenBf16 {
  void operator()(const Half* in, float* out, std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(in[i]);
  }
};
// F16C through the kernel table (looked up once per call): the block path widens a whole f16
// matrix per block of rows.
struct WidenF16 {
  const kernels::KernelTable& k = kernels::kernels();
  void operator()(const Half* in, float* out, std::size_t n) const { k.widen_f16(in, out, n); }
};

// The rows of the format whose values widen to f32 by a Widen (n at a time) and round from f32
// by `narrow`.
template <typename Widen, Half (*narrow)(float)>
struct HalfRows {
  static void quantize_row(const float* in, std::uint8_t* out, std::size_t n) {
    Half* half = reinterpret_cast<Half*>(out);
    for (std::size_t i = 0; i < n; ++i) half[i] = narrow(in[i]);
  }

  // Row by row, group by group out of the tiles.
  static void load_rows(const Matrix& w, std::size_t first, std::size_t count, float* out) {
    constexpr std::size_t G = kGroupValues<Half>;
    const std::size_t K = w.cols, groups = tile_groups<Half>(K);
    const auto* tiled = static_cast<const Half*>(w.data);
    const Widen widen;
    for (std::size_t r = 0; r < count; ++r, out += K)
      for (std::size_t c = 0; c < K; c += G) {
        const Half* group = tiled + tile_offset<Half>(groups, first + r, c);
        widen(group, out + c, std::min(G, K - c));
      }
  }
};
using Bf16Rows = HalfRows<WidenBf16, f32_to_bf16>;
using F16Rows = HalfRows<WidenF16, f32_to_f16>;

const Half* tiles_from(const Matrix& w, std::size_t row) {
  return static_cast<const Half*>(w.data) + tile_offset<Half>(tile_groups<Half>(w.cols), row, 0);
}

void gemm_rows_bf16(const kernels::KernelTable& k, const Matrix& w, std::size_t row,
                    std::size_t rows, const Activations& x, float* y, std::size_t M) {
  k.gemm_bf16(tiles_from(w, row), x.bf16, y + row, rows, w.cols, M, w.rows);
}

void gemm_rows_f16(const kernels::KernelTable& k, const Matrix& w, std::size_t row,
                   std::size_t rows, const Activations& x, float* y, std::size_t M) {
  k.gemm_f16(tiles_from(w, row), x.f32, y + row, rows, w.cols, M, w.rows);
}

}  // namespace

const WeightFormat bf16{
    .dtype = DType::bf16,
    .name = "bf16",
    .ggml_type = kGgmlBf16,
    .block_values = 1,
    .block_bytes = sizeof(Half),
    .activations = ActivationType::bf16,
    .loaded_bytes = loaded_bytes,
    .store_rows = store_rows,
    .quantize_row = Bf16Rows::quantize_row,
    .load_rows = Bf16Rows::load_rows,
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
    .loaded_bytes = loaded_bytes,
    .store_rows = store_rows,
    .quantize_row = F16Rows::quantize_row,
    .load_rows = F16Rows::load_rows,
    .gemm_rows = gemm_rows_f16,
    .panel_isa = Isa::avx512,
    .panel_bytes = value_panel_bytes<Half>,
    .pack_panels = pack_value_panels<Half>,
    .onednn_bf16 = false,
    .onednn_packs = false,
};

}  // namespace engine::formats
