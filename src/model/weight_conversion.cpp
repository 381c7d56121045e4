// Converting a model's f32 matrices to bf16 or Q8_0 once at load: the decode step reads half
// or about a quarter of the bytes. Norms, biases and the token and position embeddings stay f32
// (an embedding is read one row per token); a shared classifier gets a converted copy of its
// own. The parts of a fused QKV matrix (gpt2) are converted as three matrices. Packing for
// blocks of rows (panels for f32 on AVX-512, else oneDNN's layout), the last step of a load, is
// here too.
#include <fmt/format.h>

#include <cstdint>
#include <vector>

#include "engine/error.hpp"
#include "engine/model/model.hpp"
#include "engine/ops/isa.hpp"
#include "ops/onednn_matmul.hpp"
#include "ops/panel_matmul.hpp"
#include "ops/quantize.hpp"
#include "util/huge_page_buffer.hpp"
#include "util/log.hpp"

namespace engine {

namespace {

// Offsets of consecutive parts of one buffer, each starting on a cache line.
constexpr std::size_t kPartAlignment = 64;
std::size_t aligned_part(std::size_t bytes) {
  return (bytes + kPartAlignment - 1) / kPartAlignment * kPartAlignment;
}

}  // namespace

// All the converted matrices go into one buffer, and so do all the packed copies: huge pages are
// whole 2 MB pages, and a buffer per matrix padded each one (measured: 110M f32 max RSS 86 MB
// higher).
void Model::convert_weights(DType weight_type) {
  if (weight_type != DType::bf16 && weight_type != DType::q8_0)
    throw Error(ErrorCode::unsupported,
                fmt::format("cannot convert weights to {} (expected f32|bf16|q8)",
                            dtype_name(weight_type)));
  std::vector<Matrix*> matrices;
  for (LayerWeights& l : weights_.layers)
    for (Matrix* m : l.matrices()) matrices.push_back(m);
  matrices.push_back(&weights_.wcls);
  int kept_f32 = 0;
  std::erase_if(matrices, [&](const Matrix* m) {
    if (m->dtype != DType::f32 || m->rows == 0) return true;  // converted already, or absent
    if (weight_type == DType::q8_0 && m->cols % 32 != 0) {
      ++kept_f32;  // Q8_0 blocks need rows that are a multiple of 32 wide
      return true;
    }
    return false;
  });
  if (kept_f32) log::info("{}: {} matrices kept f32 (width not a multiple of 32)", path_, kept_f32);
  const auto converted_bytes = [&](const Matrix& m) {
    Matrix out = m;
    out.dtype = weight_type;
    return out.bytes();
  };
  std::size_t total = 0;
  for (const Matrix* m : matrices) total += aligned_part(converted_bytes(*m));
  if (total == 0) return;  // nothing stored f32 (a GGUF file of Q8_0 matrices loaded as q8)
  HugePageBuffer& buffer = converted_.emplace_back(total);
  std::uint8_t* part = buffer.data();
  for (Matrix* m : matrices) {
    const float* in = static_cast<const float*>(m->data);
    const std::size_t cols = m->cols, bytes = converted_bytes(*m), row_bytes = bytes / m->rows;
#pragma omp parallel for schedule(static) if (static_cast <std::size_t>(m->rows) * cols > (1 << 16))
    for (int r = 0; r < m->rows; ++r) {
      std::uint8_t* dst = part + r * row_bytes;
      if (weight_type == DType::bf16)
        quantize_bf16(in + r * cols, reinterpret_cast<std::uint16_t*>(dst), cols);
      else
        quantize_row_q8_0(in + r * cols, dst, cols);
    }
    m->dtype = weight_type;
    m->data = part;
    part += aligned_part(bytes);
  }
}

// Blocks of rows (prefill) run the layer matrices on packed copies, faster than on our rows: f32
// on AVX-512 in our panels (ops/panel_matmul.hpp), bf16 and the other ISAs in oneDNN's blocked
// layout. A second copy of each f32 or bf16 layer matrix (the classifier runs one row per
// sequence and keeps its rows only).
void Model::pack_weights() {
  const bool panels = prefers_panels(active_isa());
  const auto packed_bytes = [&](const Matrix& m) {
    return panels && m.dtype == DType::f32 ? panel_bytes(m) : onednn_packed_bytes(m);
  };
  std::size_t total = 0;
  for (LayerWeights& l : weights_.layers)
    for (const Matrix* m : l.matrices()) total += aligned_part(packed_bytes(*m));
  if (total == 0) return;
  HugePageBuffer& buffer = converted_.emplace_back(total);
  std::uint8_t* part = buffer.data();
  for (LayerWeights& l : weights_.layers)
    for (Matrix* m : l.matrices()) {
      const std::size_t bytes = packed_bytes(*m);
      if (bytes == 0) continue;
      if (panels && m->dtype == DType::f32)
        m->panels = pack_panels(*m, part);
      else
        m->packed = onednn_pack(*m, part);
      part += aligned_part(bytes);
    }
}

}  // namespace engine
