// The decoder forward pass (Llama: RMSNorm, RoPE, grouped-query attention, SwiGLU; GPT-2:
// learned positions, LayerNorm, biases, GELU; the steps that differ are in layer_steps), run
// over a block of T tokens for each of S sequences at once: the linear layers see all S*T rows
// in one matmul; attention runs per sequence on its own cache through its own mask.
#include "engine/model/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "attention/multi_head_attention.hpp"
#include "engine/error.hpp"
#include "model/layer_steps.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/matmul.hpp"
#include "ops/rope.hpp"

namespace engine {

Session::Session(std::shared_ptr<const Model> model, int max_batch)
    : model_(std::move(model)), max_batch_(max_batch) {
  if (!model_) throw Error(ErrorCode::invalid_argument, "Session needs a model");
  if (max_batch < 1 || max_batch > 4096)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("batch size must be in 1..4096, got {}", max_batch));
  const ModelConfig& c = model_->config();
  const std::size_t cache =
      static_cast<std::size_t>(c.n_layers) * max_batch * c.seq_len * c.kv_dim();
  key_cache_.resize(cache);
  value_cache_.resize(cache);
  padding_.assign(max_batch, 0);
  // Decode steps (one query row against up to seq_len keys) then never allocate a mask.
  masks_.resize(max_batch);
  for (Mask& mask : masks_) mask.reserve(c.seq_len);
  padding_mask_.reserve(c.seq_len);
  logit_rows_.reserve(max_batch);
}

std::uint64_t Session::memory_bytes() const {
  return (key_cache_.size() + value_cache_.size()) * sizeof(float);
}

void Session::reset() {
  position_ = 0;
  std::fill(padding_.begin(), padding_.end(), 0);
}

void Session::set_padding(int sequence, int padding) {
  if (sequence < 0 || sequence >= max_batch_)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("sequence {} is outside the batch of {}", sequence, max_batch_));
  if (padding < 0 || padding >= context_length())
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("padding {} does not fit in the context of {}", padding, context_length()));
  padding_[sequence] = padding;
}

void Session::reserve_rows(int rows) {
  const ModelConfig& c = model_->config();
  const std::size_t R = rows;
  if (x_.size() >= R * c.dim) return;
  for (auto* v : {&x_, &xb_, &xb2_, &q_}) v->resize(R * c.dim);
  for (auto* v : {&k_, &v_}) v->resize(R * c.kv_dim());
  for (auto* v : {&hb_, &hb2_}) v->resize(R * c.hidden_dim);
  scores_.resize(R * c.n_heads * c.seq_len);
}

float* Session::cache_row(std::vector<float>& cache, int layer, int sequence, int pos) {
  const ModelConfig& c = model_->config();
  const std::size_t slot = static_cast<std::size_t>(layer) * max_batch_ + sequence;
  return cache.data() + (slot * c.seq_len + pos) * c.kv_dim();
}

std::span<const float> Session::forward(std::span<const int> tokens, bool all_logits) {
  const int sequence = 0;
  return run(tokens, std::span(&sequence, 1), static_cast<int>(tokens.size()), all_logits);
}

std::span<const float> Session::forward(std::span<const int> tokens, const Mask& mask,
                                        bool all_logits) {
  const int T = static_cast<int>(tokens.size());
  if (mask.rows() != T || mask.cols() != position_ + T)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("a block of {} tokens at position {} needs a ({}, {}) mask, got ({}, {})", T,
                    position_, T, position_ + T, mask.rows(), mask.cols()));
  const int sequence = 0;
  return run(tokens, std::span(&sequence, 1), T, all_logits, &mask);
}

std::span<const float> Session::forward_batch(std::span<const int> tokens,
                                              std::span<const int> sequences) {
  if (sequences.empty() || tokens.size() % sequences.size() != 0)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("forward_batch: {} tokens for {} sequences", tokens.size(), sequences.size()));
  return run(tokens, sequences, static_cast<int>(tokens.size() / sequences.size()), false);
}

std::span<const float> Session::run(std::span<const int> tokens, std::span<const int> sequences,
                                    int T, bool all_logits, const Mask* mask) {
  const ModelConfig& c = model_->config();
  const TransformerWeights& w = model_->weights();
  const int S = static_cast<int>(sequences.size()), R = S * T;
  const int P = position_;
  if (T == 0) throw Error(ErrorCode::invalid_argument, "forward: empty block of tokens");
  if (T > c.seq_len - P)
    throw Error(
        ErrorCode::context_full,
        fmt::format("{} tokens at position {} do not fit in the context of {}", T, P, c.seq_len));
  for (int s : sequences)
    if (s < 0 || s >= max_batch_)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("sequence {} is outside the batch of {}", s, max_batch_));
  for (int token : tokens)
    if (token < 0 || token >= c.vocab_size)
      throw Error(
          ErrorCode::invalid_argument,
          fmt::format("token id {} is outside the vocabulary (0..{})", token, c.vocab_size - 1));
  reserve_rows(R);
  const kernels::KernelTable& k = kernels::kernels();
  const int dim = c.dim, kv_dim = c.kv_dim(), hs = c.head_size();

  // Position of row t of sequence i: padded rows get any valid one (they attend to nothing).
  const auto position = [&](int i, int t) { return std::max(0, P + t - padding_[sequences[i]]); };
  for (int i = 0; i < S; ++i)
    for (int t = 0; t < T; ++t) {
      const std::size_t r = static_cast<std::size_t>(i) * T + t;
      embed(w, tokens[r], position(i, t), x_.data() + r * dim, xb_.data() + r * dim);
    }

  // The mask stage: row t of a sequence (cache index P+t) may attend to keys 0..P+t, minus the
  // sequence's left padding (whose own rows are fully masked and so attend to nothing).
  for (int i = 0; i < S; ++i) {
    if (mask) {  // the caller's own mask (one sequence, checked by forward)
      masks_[i] = *mask;
      continue;
    }
    causal_block_mask(masks_[i], T, P);
    if (padding_[sequences[i]] > 0) {
      padding_block_mask(padding_mask_, T, P, padding_[sequences[i]]);
      masks_[i] &= padding_mask_;
    }
  }

  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = w.layers[l];

    // Attention sub-layer.
    for (int r = 0; r < R; ++r)
      normalize(c, x_.data() + r * dim, lw.rms_att, lw.att_norm_bias, xb_.data() + r * dim);
    linear(xb_.data(), lw.wq, lw.bq, q_.data(), R);
    linear(xb_.data(), lw.wk, lw.bk, k_.data(), R);
    linear(xb_.data(), lw.wv, lw.bv, v_.data(), R);
    for (int i = 0; i < S; ++i) {
      const int s = sequences[i];
      for (int t = 0; t < T; ++t) {
        const int r = i * T + t;
        if (c.architecture == Architecture::llama) {
          const int pos = position(i, t);
          apply_rope(q_.data() + r * dim, dim, hs, model_->rope_cos(pos), model_->rope_sin(pos));
          apply_rope(k_.data() + r * kv_dim, kv_dim, hs, model_->rope_cos(pos),
                     model_->rope_sin(pos));
        }
        std::copy_n(k_.data() + r * kv_dim, kv_dim, cache_row(key_cache_, l, s, P + t));
        std::copy_n(v_.data() + r * kv_dim, kv_dim, cache_row(value_cache_, l, s, P + t));
      }
      multi_head_attention(c, q_.data() + i * T * dim, cache_row(key_cache_, l, s, 0),
                           cache_row(value_cache_, l, s, 0), masks_[i], scores_.data(),
                           xb2_.data() + i * T * dim);
      if (observer_ && s == 0) observer_(l, scores_.data(), T, c.n_heads, P + T);
    }
    linear(xb2_.data(), lw.wo, lw.bo, xb_.data(), R);
    k.axpy(1.0f, xb_.data(), x_.data(), static_cast<std::size_t>(R) * dim);

    // Feed-forward sub-layer.
    for (int r = 0; r < R; ++r)
      normalize(c, x_.data() + r * dim, lw.rms_ffn, lw.ffn_norm_bias, xb_.data() + r * dim);
    feed_forward(c, lw, xb_.data(), hb_.data(), hb2_.data(), xb_.data(), R);
    k.axpy(1.0f, xb_.data(), x_.data(), static_cast<std::size_t>(R) * dim);
  }
  position_ += T;

  // Classifier: over every row, or only each sequence's last (all generation needs).
  std::vector<int>& rows = logit_rows_;
  rows.resize(all_logits ? R : S);
  if (all_logits)
    std::iota(rows.begin(), rows.end(), 0);
  else
    for (int i = 0; i < S; ++i) rows[i] = i * T + T - 1;
  for (std::size_t i = 0; i < rows.size(); ++i)
    normalize(c, x_.data() + rows[i] * dim, w.rms_final, w.final_norm_bias, xb_.data() + i * dim);
  logits_.resize(rows.size() * c.vocab_size);
  matmul(xb_.data(), w.wcls, logits_.data(), static_cast<int>(rows.size()));
  return logits_;
}

}  // namespace engine
