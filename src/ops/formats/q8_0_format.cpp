// Q8_0 weights (GGUF's blocks of 32 int8 and an f16 scale): loaded in panels of 32 rows
// (q8_0_panels.hpp) for the decode kernel on x quantised per 32 values and, with AVX-512 VNNI,
// blocks of rows on the same panels (ops/panel_layout.hpp); else blocks run oneDNN on rows
// expanded to f32 a chunk at a time.
#include <cstring>

#include "format/gguf_tensor_type.hpp"
#include "ops/formats/formats.hpp"
#include "ops/formats/q8_0_panels.hpp"
#include "ops/half.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/panel_layout.hpp"
#include "ops/quantize.hpp"

namespace engine::formats {
namespace {

constexpr std::size_t kBlockBytes = kQ8Block + sizeof(std::uint16_t);

void store_rows(const std::uint8_t* file_rows, std::size_t first, std::size_t count, std::size_t,
                std::size_t cols, std::uint8_t* loaded) {
  const std::size_t blocks = cols / kQ8Block;
  for (std::size_t r = first; r < first + count; ++r) {
    const std::size_t j = r % kQ8DecodePanelRows;
    for (std::size_t b = 0; b < blocks; ++b, file_rows += kBlockBytes) {
      std::uint8_t* block = loaded + q8_decode_block(cols, r, b);
      std::memcpy(block + 2 * j, file_rows, 2);
      for (std::size_t s = 0; s < kQ8PanelSteps; ++s)
        for (std::size_t i = 0; i < 4; ++i)  // quant + 128 as unsigned
          block[kQ8DecodeScaleBytes + s * kQ8DecodeStepBytes + 4 * j + i] =
              file_rows[2 + 4 * s + i] ^ 0x80;
    }
  }
}

void load_rows(const Matrix& w, std::size_t first, std::size_t count, float* out) {
  const std::size_t K = w.cols, blocks = K / kQ8Block;
  const auto* loaded = static_cast<const std::uint8_t*>(w.data);
  for (std::size_t r = first; r < first + count; ++r) {
    const std::size_t j = r % kQ8DecodePanelRows;
    for (std::size_t b = 0; b < blocks; ++b, out += kQ8Block) {
      const std::uint8_t* block = loaded + q8_decode_block(K, r, b);
      std::uint16_t bits;
      std::memcpy(&bits, block + 2 * j, 2);
      const float scale = f16_to_f32(bits);
      for (std::size_t s = 0; s < kQ8PanelSteps; ++s)
        for (std::size_t i = 0; i < 4; ++i)
          out[4 * s + i] =
              scale * static_cast<std::int8_t>(
                          block[kQ8DecodeScaleBytes + s * kQ8DecodeStepBytes + 4 * j + i] ^ 0x80);
    }
  }
}

void gemm_rows(const kernels::KernelTable& k, const Matrix& w, std::size_t row, std::size_t rows,
               const Activations& x, float* y, std::size_t M) {
  const auto* first = static_cast<const std::uint8_t*>(w.data) + q8_decode_block(w.cols, row, 0);
  k.gemm_q8_0(first, x.q8, x.q8_scales, x.q8_sums16, x.q8_dsums32, y + row, rows, w.cols, M,
              w.rows);
}

}  // namespace

const WeightFormat q8_0{
    .dtype = DType::q8_0,
    .name = "q8_0",
    .ggml_type = kGgmlQ8_0,
    .block_values = kQ8Block,
    .block_bytes = kBlockBytes,
    .activations = ActivationType::q8,
    .loaded_bytes = q8_decode_bytes,
    .store_rows = store_rows,
    .quantize_row = quantize_row_q8_0,
    .load_rows = load_rows,
    .gemm_rows = gemm_rows,
    .panel_isa = Isa::avx512_vnni_bf16,
    .panel_bytes = no_panel_bytes,
    .pack_panels = loaded_panels,
    .onednn_bf16 = false,
    .onednn_packs = false,
};

}  // namespace engine::formats
