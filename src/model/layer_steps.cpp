#include "model/layer_steps.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/matmul.hpp"
#include "ops/parallel_chunks.hpp"
#include "util/crew.hpp"

namespace engine {

void embed(const TransformerWeights& w, int token, int position, float* out, float* scratch) {
  matrix_row(w.token_embedding, token, out);
  const Matrix& positions = w.position_embedding;
  if (positions.rows == 0) return;  // llama: positions come from RoPE inside attention
  if (position >= positions.rows)
    throw Error(ErrorCode::context_full,
                fmt::format("position {} is past the {} positions the model learned", position,
                            positions.rows));
  matrix_row(positions, position, scratch);
  kernels::kernels().axpy(1.0f, scratch, out, positions.cols);
}

void normalize(const ModelConfig& c, const float* x, const float* weight, const float* bias,
               float* out) {
  const kernels::KernelTable& k = kernels::kernels();
  if (c.architecture == Architecture::gpt2)
    k.layernorm(x, weight, bias, out, c.dim, c.norm_eps);
  else
    k.rmsnorm(x, weight, out, c.dim, c.norm_eps);
}

namespace {

// bias (width floats, or none) added to each of the R rows of y (R, width).
void add_bias_rows(const float* bias, float* y, int width, int R) {
  if (!bias) return;
  const kernels::KernelTable& k = kernels::kernels();
  for (int r = 0; r < R; ++r) k.axpy(1.0f, bias, y + static_cast<std::size_t>(r) * width, width);
}

}  // namespace

void linear(const float* x, const Matrix& w, const float* bias, float* y, int R) {
  matmul(x, w, y, R);
  // In a crew, one member adds (a barrier after): only when there is a bias (gpt2).
  if (bias) on_one_member([&] { add_bias_rows(bias, y, w.rows, R); });
}

void project_qkv(const LayerWeights& l, const float* xb, float* q, float* k, float* v, int R) {
  matmuls(xb, {{l.wq, q}, {l.wk, k}, {l.wv, v}}, R);
  if (l.bq || l.bk || l.bv)
    on_one_member([&] {
      add_bias_rows(l.bq, q, l.wq.rows, R);
      add_bias_rows(l.bk, k, l.wk.rows, R);
      add_bias_rows(l.bv, v, l.wv.rows, R);
    });
}

void feed_forward(const ModelConfig& c, const LayerWeights& l, const float* xb, float* hb,
                  float* hb2, float* out, int R) {
  const kernels::KernelTable& k = kernels::kernels();
  const std::size_t n = static_cast<std::size_t>(R) * c.hidden_dim;
  if (c.architecture == Architecture::gpt2) {
    linear(xb, l.w3, l.b3, hb, R);
    for_chunks(n, [&](std::size_t i, std::size_t count) { k.gelu(hb + i, count); });
  } else {
    matmuls(xb, {{l.w1, hb}, {l.w3, hb2}}, R);
    for_chunks(n, [&](std::size_t i, std::size_t count) { k.swiglu(hb + i, hb2 + i, count); });
  }
  linear(hb, l.w2, l.b2, out, R);
}

}  // namespace engine
