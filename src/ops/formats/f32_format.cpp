// f32 weights: values in panels of 32 rows (value_panels.hpp), which the decode kernel and, with
// AVX-512, blocks of rows both read (elsewhere blocks run oneDNN on a packed copy).
#include <cstring>

#include "format/gguf_tensor_type.hpp"
#include "ops/formats/formats.hpp"
#include "ops/formats/value_panels.hpp"
#include "ops/kernels/kernel_table.hpp"

namespace engine::formats {
namespace {

void quantize_row(const float* in, std::uint8_t* out, std::size_t n) {
  std::memcpy(out, in, n * sizeof(float));
}

void copy_values(const float* in, float* out, std::size_t n) {
  std::memcpy(out, in, n * sizeof(float));
}

}  // namespace

const WeightFormat f32{
    .dtype = DType::f32,
    .name = "f32",
    .ggml_type = kGgmlF32,
    .block_values = 1,
    .block_bytes = sizeof(float),
    .activations = ActivationType::f32,
    .loaded_bytes = value_panels_bytes<float>,
    .store_rows = store_value_rows<float>,
    .quantize_row = quantize_row,
    .widen_row = widen_value_row<float, copy_values>,
    .load_rows = load_value_rows<float, copy_values>,
    .gemm_rows = gemm_value_panels<float, &kernels::KernelTable::gemm_decode_panels>,
    .panel_isa = Isa::avx512,
    .panel_bytes = no_panel_bytes,
    .pack_panels = loaded_panels,
    .onednn_bf16 = false,
    .onednn_packs = true,
};

}  // namespace engine::formats
