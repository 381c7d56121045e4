// Q8_0 weights (GGUF's blocks of 32 int8 and an f16 scale): the quants and scales in the tile
// layout's two regions (ops/tile_layout.hpp), the decode kernel on x quantised per 32 values,
// blocks of rows on Q8 panels with AVX-512 VNNI (ops/panel_layout.hpp), else oneDNN on rows
// expanded to f32 a chunk at a time.
#include <cstring>

#include "format/gguf_tensor_type.hpp"
#include "ops/formats/formats.hpp"
#include "ops/half.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/panel_layout.hpp"
#include "ops/quantize.hpp"
#include "ops/tile_layout.hpp"

namespace engine::formats {
namespace {

constexpr std::size_t kBlockBytes = kQ8Block + sizeof(std::uint16_t);

void store_rows(const std::uint8_t* file_rows, std::size_t first, std::size_t count,
                std::size_t rows, std::size_t cols, std::uint8_t* loaded) {
  for (std::size_t r = 0; r < count; ++r)
    store_row_q8_0_tiled(file_rows + r * (cols / kQ8Block * kBlockBytes), first + r, rows, cols,
                         loaded);
}

void load_rows(const Matrix& w, std::size_t first, std::size_t count, float* out) {
  dequantize_rows_q8_0_tiled(w.data, first, count, w.rows, w.cols, out);
}

void gemm_rows(const kernels::KernelTable& k, const Matrix& w, std::size_t row, std::size_t rows,
               const Activations& x, float* y, std::size_t M) {
  const std::size_t K = w.cols, N = w.rows;
  const Q8TiledParts parts = q8_tiled_parts(w.data, N, K);
  const std::size_t first = q8_tile_slot(q8_tile_pairs(K), row, 0);
  k.gemm_q8_0(parts.quants + first * kQ8Block, parts.scales + first, x.q8, x.q8_scales, y + row,
              rows, K, M, N);
}

std::size_t panel_bytes(const Matrix& w) {
  const std::size_t count = (static_cast<std::size_t>(w.rows) + kPanelWidth - 1) / kPanelWidth;
  return count * (w.cols / kQ8Block) * kQ8PanelBlockBytes;
}

// The panels of w in its tile layout, row by row (each row read in order).
const void* pack_panels(const Matrix& w, std::uint8_t* out) {
  const std::size_t K = w.cols, N = w.rows, blocks = K / kQ8Block, pairs = q8_tile_pairs(K);
  const Q8TiledParts parts = q8_tiled_parts(w.data, N, K);
#pragma omp parallel for schedule(static)
  for (std::size_t n = 0; n < N; ++n) {
    std::uint8_t* const panel = out + n / kPanelWidth * blocks * kQ8PanelBlockBytes;
    const std::size_t j = n % kPanelWidth;
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t slot = q8_tile_slot(pairs, n, b);
      const std::uint8_t* q = parts.quants + slot * kQ8Block;
      std::uint8_t* block = panel + b * kQ8PanelBlockBytes;
      for (std::size_t s = 0; s < kQ8PanelSteps; ++s)
        for (std::size_t i = 0; i < 4; ++i)  // quant + 128 as unsigned
          block[s * kQ8PanelStepBytes + 4 * j + i] = static_cast<std::uint8_t>(q[4 * s + i] ^ 0x80);
      const float scale = f16_to_f32(parts.scales[slot]);
      std::memcpy(block + kQ8PanelQuantBytes + j * sizeof(float), &scale, sizeof scale);
    }
  }
  return out;
}

}  // namespace

const WeightFormat q8_0{
    .dtype = DType::q8_0,
    .name = "q8_0",
    .ggml_type = kGgmlQ8_0,
    .block_values = kQ8Block,
    .block_bytes = kBlockBytes,
    .activations = ActivationType::q8,
    .loaded_bytes = q8_tiled_bytes,
    .store_rows = store_rows,
    .quantize_row = quantize_row_q8_0,
    .load_rows = load_rows,
    .gemm_rows = gemm_rows,
    .panel_isa = Isa::avx512_vnni_bf16,
    .panel_bytes = panel_bytes,
    .pack_panels = pack_panels,
    .onednn_bf16 = false,
    .onednn_packs = false,
};

}  // namespace engine::formats
