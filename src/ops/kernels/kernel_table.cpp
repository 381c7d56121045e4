// Compiled once per ISA (see src/CMakeLists.txt): ENGINE_KERNEL_ISA_{SCALAR,AVX2,AVX512,
// AVX512_VNNI_BF16} picks the Vec the kernels are instantiated with (the last two share
// vec_avx512.hpp; its VNNI/BF16 instructions follow the compiler's feature macros). Everything here
// lives in a namespace of its own per ISA, so no inline function compiled for AVX-512 can be picked
// by the linker for another ISA.
#include "ops/kernels/kernel_table.hpp"

// Standard and intrinsic headers first, outside the per-ISA namespace.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "ops/formats/block_panels.hpp"
#include "ops/formats/q8_0_panels.hpp"
#include "ops/half.hpp"
#include "ops/kernels/intrinsics.hpp"
#include "ops/panel_layout.hpp"
#include "ops/tile_layout.hpp"

#if defined(ENGINE_KERNEL_ISA_AVX512_VNNI_BF16)
#define ENGINE_ISA_NS avx512_vnni_bf16
#elif defined(ENGINE_KERNEL_ISA_AVX512)
#define ENGINE_ISA_NS avx512
#elif defined(ENGINE_KERNEL_ISA_AVX2)
#define ENGINE_ISA_NS avx2
#else
#define ENGINE_ISA_NS scalar
#endif

namespace engine::kernels::ENGINE_ISA_NS {
#if defined(ENGINE_KERNEL_ISA_AVX512) || defined(ENGINE_KERNEL_ISA_AVX512_VNNI_BF16)
#include "ops/kernels/vec_avx512.hpp"
#elif defined(ENGINE_KERNEL_ISA_AVX2)
#include "ops/kernels/vec_avx2.hpp"
#else
#include "ops/kernels/vec_scalar.hpp"
#endif
// Order matters: each kernel needs Vec and the tail helpers before it.
// clang-format off
#include "ops/kernels/vec_tail.hpp"
#include "ops/kernels/masked_softmax_kernel.hpp"
#include "ops/kernels/linear_kernels.hpp"
#include "ops/kernels/quant_kernels.hpp"
#include "ops/kernels/q8_0_kernel.hpp"
#include "ops/kernels/panel_kernels.hpp"
#include "ops/kernels/attention_kernels.hpp"
#include "ops/kernels/elementwise_kernels.hpp"
#include "ops/kernels/rope_kernel.hpp"
// clang-format on
}  // namespace engine::kernels::ENGINE_ISA_NS

namespace engine::kernels {

#define ENGINE_CONCAT_(a, b) a##b
#define ENGINE_CONCAT(a, b) ENGINE_CONCAT_(a, b)

const KernelTable& ENGINE_CONCAT(kernel_table_, ENGINE_ISA_NS)() {
  static const KernelTable table{
      .masked_softmax = ENGINE_ISA_NS::masked_softmax,
      .dot = ENGINE_ISA_NS::dot,
      .gemm = ENGINE_ISA_NS::gemm,
      .gemm_q8_0 = ENGINE_ISA_NS::gemm_panel_tiles<ENGINE_ISA_NS::Q8_0PanelRows>,
      .gemm_q4_0 = ENGINE_ISA_NS::gemm_block_panels<ENGINE_ISA_NS::Q4_0Panels>,
      .gemm_q4_1 = ENGINE_ISA_NS::gemm_block_panels<ENGINE_ISA_NS::Q4_1Panels>,
      .gemm_q5_0 = ENGINE_ISA_NS::gemm_block_panels<ENGINE_ISA_NS::Q5_0Panels>,
      .gemm_q5_1 = ENGINE_ISA_NS::gemm_block_panels<ENGINE_ISA_NS::Q5_1Panels>,
      .gemm_q2_k = ENGINE_ISA_NS::gemm_block_panels<ENGINE_ISA_NS::Q2_KPanels>,
      .gemm_q3_k = ENGINE_ISA_NS::gemm_block_panels<ENGINE_ISA_NS::Q3_KPanels>,
      .gemm_q4_k = ENGINE_ISA_NS::gemm_block_panels<ENGINE_ISA_NS::Q4_KPanels>,
      .gemm_q5_k = ENGINE_ISA_NS::gemm_block_panels<ENGINE_ISA_NS::Q5_KPanels>,
      .gemm_q6_k = ENGINE_ISA_NS::gemm_block_panels<ENGINE_ISA_NS::Q6_KPanels>,
      .gemm_panel = ENGINE_ISA_NS::gemm_panel<ENGINE_ISA_NS::ValueSteps<float>>,
      .gemm_f16_panel = ENGINE_ISA_NS::gemm_panel<ENGINE_ISA_NS::ValueSteps<std::uint16_t>>,
      .gemm_bf16_panel = ENGINE_ISA_NS::gemm_panel<ENGINE_ISA_NS::Bf16PairSteps>,
      .gemm_decode_panels = ENGINE_ISA_NS::gemm_decode_panels<ENGINE_ISA_NS::ValueSteps<float>>,
      .gemm_f16_decode_panels =
          ENGINE_ISA_NS::gemm_decode_panels<ENGINE_ISA_NS::ValueSteps<std::uint16_t>>,
      .gemm_bf16_decode_panels = ENGINE_ISA_NS::gemm_decode_panels<ENGINE_ISA_NS::Bf16PairSteps>,
      .gemm_q8_panel = ENGINE_ISA_NS::gemm_q8_panel,
      .quantize_q8 = ENGINE_ISA_NS::quantize_q8,
      .q8_sums = ENGINE_ISA_NS::q8_sums,
      .to_bf16 = ENGINE_ISA_NS::to_bf16,
      .widen_f16 = ENGINE_ISA_NS::widen_f16,
      .axpy = ENGINE_ISA_NS::axpy,
      .rmsnorm = ENGINE_ISA_NS::rmsnorm,
      .layernorm = ENGINE_ISA_NS::layernorm,
      .swiglu = ENGINE_ISA_NS::swiglu,
      .gelu = ENGINE_ISA_NS::gelu,
      .rope = ENGINE_ISA_NS::rope,
      .rope_halves = ENGINE_ISA_NS::rope_halves,
      .geglu = ENGINE_ISA_NS::geglu,
      .attention_scores = ENGINE_ISA_NS::attention_scores,
      .attention_weighted_sum = ENGINE_ISA_NS::attention_weighted_sum,
      .attention_block_scores = ENGINE_ISA_NS::attention_block_scores,
      .attention_block_weighted_sum = ENGINE_ISA_NS::attention_block_weighted_sum,
  };
  return table;
}

}  // namespace engine::kernels
