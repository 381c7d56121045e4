#include "model/layer_steps.hpp"

#include <fmt/format.h>

#include <cmath>

#include "engine/error.hpp"
#include "model/architecture.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/matmul.hpp"
#include "ops/parallel_chunks.hpp"
#include "ops/rope.hpp"

namespace engine {

void embed(const ModelConfig& c, const TransformerWeights& w, int token, int position, float* out,
           float* scratch) {
  matrix_row(w.token_embedding, token, out);
  // Gemma scales in float, as llama.cpp does (sqrtf(n_embd)).
  if (recipe(c.architecture).scaled_embedding) {
    const float scale = std::sqrt(static_cast<float>(c.dim));
    for (int i = 0; i < c.dim; ++i) out[i] *= scale;
  }
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
  if (recipe(c.architecture).norm == NormKind::layer)
    k.layernorm(x, weight, bias, out, c.dim, c.norm_eps);
  else
    k.rmsnorm(x, weight, out, c.dim, c.norm_eps);
}

void rotate_query_key(const ModelConfig& c, float* q, float* k, const float* cos,
                      const float* sin) {
  const int hs = c.head_size();
  switch (recipe(c.architecture).rope) {
    case RopeStyle::pairs:
      apply_rope(q, c.q_dim(), hs, cos, sin);
      apply_rope(k, c.kv_dim(), hs, cos, sin);
      break;
    case RopeStyle::halves:
      apply_rope_halves(q, c.q_dim(), hs, cos, sin);
      apply_rope_halves(k, c.kv_dim(), hs, cos, sin);
      break;
    case RopeStyle::none:
      break;
  }
}

namespace {

// bias (width floats, or none) added to each of the R rows of y (R, width).
void add_bias_rows(const float* bias, float* y, int width, int R) {
  if (!bias) return;
  const kernels::KernelTable& k = kernels::kernels();
  for (int r = 0; r < R; ++r) k.axpy(1.0f, bias, y + static_cast<std::size_t>(r) * width, width);
}

}  // namespace

void linear(const StepContext& step, const float* x, const Matrix& w, const float* bias, float* y,
            int R) {
  matmul(step, x, w, y, R);
  // In a crew, one member adds (a barrier after): only when there is a bias (gpt2, qwen2).
  if (bias) step.parallel.on_one_member([&] { add_bias_rows(bias, y, w.rows, R); });
}

void project_qkv(const StepContext& step, const LayerWeights& l, const float* xb, float* q,
                 float* k, float* v, int R) {
  matmuls(step, xb, {{l.wq, q}, {l.wk, k}, {l.wv, v}}, R);
  if (l.bq || l.bk || l.bv)
    step.parallel.on_one_member([&] {
      add_bias_rows(l.bq, q, l.wq.rows, R);
      add_bias_rows(l.bk, k, l.wk.rows, R);
      add_bias_rows(l.bv, v, l.wv.rows, R);
    });
}

void feed_forward(const StepContext& step, const ModelConfig& c, const LayerWeights& l,
                  const float* xb, float* hb, float* hb2, float* out, int R) {
  const kernels::KernelTable& k = kernels::kernels();
  const std::size_t n = static_cast<std::size_t>(R) * c.hidden_dim;
  const FeedForwardKind kind = recipe(c.architecture).feed_forward;
  if (kind == FeedForwardKind::gelu) {
    linear(step, xb, l.w3, l.b3, hb, R);
    for_chunks(step.parallel, n, [&](std::size_t i, std::size_t count) { k.gelu(hb + i, count); });
  } else {
    const auto gated = kind == FeedForwardKind::geglu ? k.geglu : k.swiglu;
    matmuls(step, xb, {{l.w1, hb}, {l.w3, hb2}}, R);
    for_chunks(step.parallel, n,
               [&](std::size_t i, std::size_t count) { gated(hb + i, hb2 + i, count); });
  }
  linear(step, hb, l.w2, l.b2, out, R);
}

}  // namespace engine
