// Converting a model's f32 matrices to bf16 or Q8_0 once at load: the decode step reads half
// or about a quarter of the bytes. Norms, biases and the token and position embeddings stay f32
// (an embedding is read one row per token); a shared classifier gets a converted copy of its
// own. The parts of a fused QKV matrix (gpt2) are converted as three matrices. Packing for
// blocks of rows (panels for f32 on AVX-512, else oneDNN's layout), the last step of a load, is
// here too.
#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/model/model.hpp"
#include "engine/ops/isa.hpp"
#include "ops/onednn_matmul.hpp"
#include "ops/panel_matmul.hpp"
#include "ops/quantize.hpp"
#include "util/huge_page_buffer.hpp"
#include "util/log.hpp"

namespace engine {

void Model::convert_weights(DType weight_type) {
  if (weight_type != DType::bf16 && weight_type != DType::q8_0)
    throw Error(ErrorCode::unsupported,
                fmt::format("cannot convert weights to {} (expected f32|bf16|q8)",
                            dtype_name(weight_type)));
  int kept_f32 = 0;
  const auto convert = [&](Matrix& m) {
    if (m.dtype != DType::f32 || m.rows == 0) return;  // converted already, or absent
    if (weight_type == DType::q8_0 && m.cols % 32 != 0) {
      ++kept_f32;  // Q8_0 blocks need rows that are a multiple of 32 wide
      return;
    }
    Matrix out = m;
    out.dtype = weight_type;
    HugePageBuffer& buffer = converted_.emplace_back(out.bytes());
    const float* in = static_cast<const float*>(m.data);
    const std::size_t cols = m.cols, row_bytes = out.bytes() / m.rows;
#pragma omp parallel for schedule(static) if (static_cast <std::size_t>(m.rows) * cols > (1 << 16))
    for (int r = 0; r < m.rows; ++r) {
      std::uint8_t* dst = buffer.data() + r * row_bytes;
      if (weight_type == DType::bf16)
        quantize_bf16(in + r * cols, reinterpret_cast<std::uint16_t*>(dst), cols);
      else
        quantize_row_q8_0(in + r * cols, dst, cols);
    }
    out.data = buffer.data();
    m = out;
  };
  for (LayerWeights& l : weights_.layers)
    for (Matrix* m : l.matrices()) convert(*m);
  convert(weights_.wcls);
  if (kept_f32) log::info("{}: {} matrices kept f32 (width not a multiple of 32)", path_, kept_f32);
}

// Blocks of rows (prefill) run the layer matrices on packed copies, faster than on our rows: f32
// on AVX-512 in our panels (ops/panel_matmul.hpp), bf16 and the other ISAs in oneDNN's blocked
// layout. A second copy of each f32 or bf16 layer matrix (the classifier runs one row per
// sequence and keeps its rows only).
void Model::pack_weights() {
  const bool panels = prefers_panels(active_isa());
  for (LayerWeights& l : weights_.layers)
    for (Matrix* m : l.matrices()) {
      HugePageBuffer packed = panels && m->dtype == DType::f32 ? pack_panels(*m, m->panels)
                                                               : onednn_pack(*m, m->packed);
      if (!packed.empty()) converted_.push_back(std::move(packed));
    }
}

}  // namespace engine
