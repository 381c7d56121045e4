// The steps of the forward pass that differ between architectures (ModelConfig::architecture,
// described by its recipe in model/architecture.hpp): the input embedding, the norms, RoPE, the
// biases of the linear layers and the feed-forward. Attention, the mask stage and the KV cache
// are shared and live in Session.
#pragma once

#include "engine/model/config.hpp"
#include "model/weights.hpp"
#include "ops/step_context.hpp"

namespace engine {

/// One row of the residual stream (dim floats) for `token` at `position`: the token's embedding,
/// times sqrt(dim) (gemma2), plus (gpt2) the learned embedding of the position; `scratch` is dim
/// floats of room for a position row that needs converting. Throws engine::Error (context_full)
/// for a position past the learned ones.
void embed(const ModelConfig& c, const TransformerWeights& w, int token, int position, float* out,
           float* scratch);

/// out = norm(x) for one row of dim floats: RMSNorm with `weight`, or LayerNorm with `weight`
/// and `bias` (gpt2). out may be x.
void normalize(const ModelConfig& c, const float* x, const float* weight, const float* bias,
               float* out);

/// RoPE of one row's queries q (q_dim) and keys k (kv_dim) by the position's cos and sin
/// (head_size / 2 each), on pairs or halves as the architecture rotates; nothing for gpt2.
void rotate_query_key(const ModelConfig& c, float* q, float* k, const float* cos, const float* sin);

/// y (R, w.rows) = x (R, w.cols) · wᵀ, plus `bias` (w.rows floats) on every row unless null.
void linear(const StepContext& step, const float* x, const Matrix& w, const float* bias, float* y,
            int R);

/// The query, key and value projections of R normalised rows xb (R, dim) in one pass over the
/// block (see matmuls) into q (R, q_dim), k and v (R, kv_dim), plus their biases (gpt2, qwen2).
void project_qkv(const StepContext& step, const LayerWeights& l, const float* xb, float* q,
                 float* k, float* v, int R);

/// The feed-forward sub-layer of R normalised rows xb (R, dim) into out (R, dim), with hb and
/// hb2 (R, hidden_dim) as scratch; out may be xb. swiglu: w2 · (silu(w1 · x) * (w3 · x));
/// geglu: the same with gelu; gpt2: w2 · gelu(w3 · x + b3) + b2.
void feed_forward(const StepContext& step, const ModelConfig& c, const LayerWeights& l,
                  const float* xb, float* hb, float* hb2, float* out, int R);

}  // namespace engine
