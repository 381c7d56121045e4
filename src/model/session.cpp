// The decoder forward pass (Llama: RMSNorm, RoPE, grouped-query attention, SwiGLU), run over a
// block of T tokens at once: a prompt is one block, each decode step a block of one.
#include "engine/model/session.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "attention/multi_head_attention.hpp"
#include "engine/error.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/matmul.hpp"
#include "ops/rope.hpp"

namespace engine {

Session::Session(std::shared_ptr<const Model> model) : model_(std::move(model)) {
  if (!model_) throw Error(ErrorCode::invalid_argument, "Session needs a model");
  const ModelConfig& c = model_->config();
  const std::size_t cache = static_cast<std::size_t>(c.n_layers) * c.seq_len * c.kv_dim();
  key_cache_.resize(cache);
  value_cache_.resize(cache);
}

void Session::reserve_block(int block) {
  const ModelConfig& c = model_->config();
  const std::size_t T = block;
  if (x_.size() >= T * c.dim) return;
  x_.resize(T * c.dim);
  xb_.resize(T * c.dim);
  xb2_.resize(T * c.dim);
  q_.resize(T * c.dim);
  hb_.resize(T * c.hidden_dim);
  hb2_.resize(T * c.hidden_dim);
  scores_.resize(T * c.n_heads * c.seq_len);
}

std::span<const float> Session::forward(std::span<const int> tokens, bool all_logits) {
  const ModelConfig& c = model_->config();
  const TransformerWeights& w = model_->weights();
  const int T = static_cast<int>(tokens.size());
  const int P = position_;
  if (T == 0) throw Error(ErrorCode::invalid_argument, "forward: empty block of tokens");
  if (T > c.seq_len - P)
    throw Error(
        ErrorCode::context_full,
        fmt::format("{} tokens at position {} do not fit in the context of {}", T, P, c.seq_len));
  for (int token : tokens)
    if (token < 0 || token >= c.vocab_size)
      throw Error(
          ErrorCode::invalid_argument,
          fmt::format("token id {} is outside the vocabulary (0..{})", token, c.vocab_size - 1));
  reserve_block(T);
  const kernels::KernelTable& k = kernels::kernels();
  const int dim = c.dim, kv_dim = c.kv_dim(), hidden = c.hidden_dim, hs = c.head_size();
  const std::size_t layer_cache = static_cast<std::size_t>(c.seq_len) * kv_dim;

  for (int t = 0; t < T; ++t)
    matrix_row(w.token_embedding, tokens[t], x_.data() + static_cast<std::size_t>(t) * dim);

  // The mask stage: block row t (position P+t) may attend to keys 0..P+t.
  const Mask mask = causal_block_mask(T, P);

  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    const std::size_t L = l;
    float* keys = key_cache_.data() + L * layer_cache;
    float* values = value_cache_.data() + L * layer_cache;
    float* k_block = keys + static_cast<std::size_t>(P) * kv_dim;
    float* v_block = values + static_cast<std::size_t>(P) * kv_dim;

    // Attention sub-layer.
    for (int t = 0; t < T; ++t)
      k.rmsnorm(x_.data() + t * dim, lw.rms_att, xb_.data() + t * dim, dim, c.norm_eps);
    matmul(xb_.data(), lw.wq, q_.data(), T);
    matmul(xb_.data(), lw.wk, k_block, T);
    matmul(xb_.data(), lw.wv, v_block, T);
    for (int t = 0; t < T; ++t) {
      const float* cos = model_->rope_cos(P + t);
      const float* sin = model_->rope_sin(P + t);
      apply_rope(q_.data() + t * dim, dim, hs, cos, sin);
      apply_rope(k_block + t * kv_dim, kv_dim, hs, cos, sin);
    }
    multi_head_attention(c, q_.data(), keys, values, mask, scores_.data(), xb2_.data());
    matmul(xb2_.data(), lw.wo, xb_.data(), T);
    k.axpy(1.0f, xb_.data(), x_.data(), static_cast<std::size_t>(T) * dim);

    // Feed-forward sub-layer: w2 · (silu(w1 · x) * (w3 · x)).
    for (int t = 0; t < T; ++t)
      k.rmsnorm(x_.data() + t * dim, lw.rms_ffn, xb_.data() + t * dim, dim, c.norm_eps);
    matmul(xb_.data(), lw.w1, hb_.data(), T);
    matmul(xb_.data(), lw.w3, hb2_.data(), T);
    k.swiglu(hb_.data(), hb2_.data(), static_cast<std::size_t>(T) * hidden);
    matmul(hb_.data(), lw.w2, xb_.data(), T);
    k.axpy(1.0f, xb_.data(), x_.data(), static_cast<std::size_t>(T) * dim);
  }
  position_ += T;

  // Classifier: over every row, or only the last (all generation needs).
  const int first = all_logits ? 0 : T - 1;
  const int rows = T - first;
  for (int t = first; t < T; ++t)
    k.rmsnorm(x_.data() + t * dim, w.rms_final, xb_.data() + (t - first) * dim, dim, c.norm_eps);
  logits_.resize(static_cast<std::size_t>(rows) * c.vocab_size);
  matmul(xb_.data(), w.wcls, logits_.data(), rows);
  return logits_;
}

}  // namespace engine
