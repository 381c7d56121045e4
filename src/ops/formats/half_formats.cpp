// bf16 and f16 weights, both in panels of 32 rows (value_panels.hpp), one copy for decode and
// blocks of rows alike. bf16: values paired along k, run bf16 x bf16 (x rounded by to_bf16;
// exact products summed in f32, vdpbf16ps where the CPU has it) on every ISA. f16: widened to
// f32 in registers against f32 x (AVX-512); elsewhere blocks run oneDNN on rows widened to f32.
#include "format/gguf_tensor_type.hpp"
#include "ops/formats/formats.hpp"
#include "ops/formats/value_panels.hpp"
#include "ops/half.hpp"
#include "ops/kernels/kernel_table.hpp"

namespace engine::formats {
namespace {

using Half = std::uint16_t;

// n f32 values to a row of halves rounded by `narrow`.
template <Half (*narrow)(float)>
void quantize_half_row(const float* in, std::uint8_t* out, std::size_t n) {
  Half* half = reinterpret_cast<Half*>(out);
  for (std::size_t i = 0; i < n; ++i) half[i] = narrow(in[i]);
}

// n bf16 values widened to f32 (exact).
void widen_bf16(const Half* in, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(in[i]);
}

// Values of k per step of a bf16 panel: the pairs vdpbf16ps multiplies.
constexpr std::size_t kBf16Pair = 2;

// F16C through the kernel table: an f16 matrix's rows widened for oneDNN, and a file's rows
// converted at load.
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
    .loaded_bytes = value_panels_bytes<Half, kBf16Pair>,
    .store_rows = store_value_rows<Half, kBf16Pair>,
    .quantize_row = quantize_half_row<f32_to_bf16>,
    .widen_row = widen_value_row<Half, widen_bf16>,
    .load_rows = load_value_rows<Half, widen_bf16, kBf16Pair>,
    .gemm_rows = gemm_value_panels<Half, &kernels::KernelTable::gemm_bf16_decode_panels,
                                   &Activations::bf16, kBf16Pair>,
    .panel_isa = Isa::scalar,
    .panel_bytes = no_panel_bytes,
    .pack_panels = loaded_panels,
    .onednn_bf16 = true,
    .onednn_packs = false,
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
    .widen_row = widen_value_row<Half, widen_f16>,
    .load_rows = load_value_rows<Half, widen_f16>,
    .gemm_rows = gemm_value_panels<Half, &kernels::KernelTable::gemm_f16_decode_panels>,
    .panel_isa = Isa::avx512,
    .panel_bytes = no_panel_bytes,
    .pack_panels = loaded_panels,
    .onednn_bf16 = false,
    .onednn_packs = false,
};

}  // namespace engine::formats
