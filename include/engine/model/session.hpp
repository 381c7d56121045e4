// One conversation with a model: its KV cache, its position and its scratch buffers.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "engine/model/model.hpp"

namespace engine {

class Session {
 public:
  explicit Session(std::shared_ptr<const Model> model);

  /// Runs `tokens` as one block at positions [position(), position() + tokens.size()): a whole
  /// prompt at once, or a single token per decode step. Their keys and values are appended to
  /// the KV cache. Returns the logits of the last token (vocab_size floats), or with
  /// `all_logits` those of every token in the block ((tokens.size(), vocab_size), row-major).
  /// The span stays valid until the next call. Throws engine::Error (context_full) when the block
  /// does not fit in the context, (invalid_argument) for an empty block or a token out of range.
  std::span<const float> forward(std::span<const int> tokens, bool all_logits = false);

  /// Tokens processed so far (the next token's position).
  int position() const { return position_; }
  int context_length() const { return model_->config().seq_len; }
  /// Forgets the conversation (the cache is reused, not freed).
  void reset() { position_ = 0; }

  const Model& model() const { return *model_; }

 private:
  void reserve_block(int block);

  std::shared_ptr<const Model> model_;
  int position_ = 0;
  std::vector<float> key_cache_;    // (layer, seq_len, kv_dim)
  std::vector<float> value_cache_;  // (layer, seq_len, kv_dim)
  // Activations of the current block of T tokens.
  std::vector<float> x_;       // (T, dim) residual stream
  std::vector<float> xb_;      // (T, dim) normalised input of a sub-layer / its output
  std::vector<float> xb2_;     // (T, dim) attention output before wo
  std::vector<float> q_;       // (T, dim) queries
  std::vector<float> hb_;      // (T, hidden_dim) FFN gate
  std::vector<float> hb2_;     // (T, hidden_dim) FFN up
  std::vector<float> scores_;  // (T, n_heads, seq_len) attention scores, then probabilities
  std::vector<float> logits_;  // (T or 1, vocab_size)
};

}  // namespace engine
