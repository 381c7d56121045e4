// Conversations with a model: KV caches, the position and scratch buffers. A session holds up
// to `max_batch` sequences that step in lockstep through one forward pass per step.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "engine/attention/mask.hpp"
#include "engine/model/model.hpp"

namespace engine {

class Session {
 public:
  /// A session for up to `max_batch` sequences, each with a KV cache of the model's context
  /// length, allocated once here (see memory_bytes()).
  explicit Session(std::shared_ptr<const Model> model, int max_batch = 1);

  /// Runs `tokens` of sequence 0 as one block at positions [position(), position() + size): a
  /// whole prompt at once, or a single token per decode step. Their keys and values are
  /// appended to the KV cache. Returns the logits of the last token (vocab_size floats), or
  /// with `all_logits` those of every token ((tokens.size(), vocab_size), row-major). The span
  /// stays valid until the next call. Throws engine::Error (context_full) when the block does
  /// not fit in the context, (invalid_argument) for an empty block or a token out of range.
  std::span<const float> forward(std::span<const int> tokens, bool all_logits = false);

  /// The same with the caller's mask instead of the causal one: any kind or combination
  /// (sliding window, prefix-LM, custom), shape (tokens.size(), position() + tokens.size()),
  /// row t for the token at position() + t, column c for key c. It goes through the same mask
  /// stage and masked softmax; fully masked rows attend to nothing (zeros).
  std::span<const float> forward(std::span<const int> tokens, const Mask& mask,
                                 bool all_logits = false);

  /// One block of T tokens for each sequence in `sequences` (indices < max_batch()), all at
  /// position(): `tokens` is (sequences.size(), T) row-major. Each sequence attends only to its
  /// own cache, through the causal mask combined with its padding mask. Returns the logits of
  /// each sequence's last token: (sequences.size(), vocab_size). Sequences left out of a step
  /// (finished ones) keep their cache but fall behind; they cannot rejoin.
  std::span<const float> forward_batch(std::span<const int> tokens, std::span<const int> sequences);

  /// Marks the first `padding` positions of `sequence` as left padding: masked for every query,
  /// and the RoPE position of a real token counts from the first real one (as Hugging Face
  /// computes it: cumsum(attention_mask) - 1). Set before the first block.
  void set_padding(int sequence, int padding);

  /// Tokens processed so far per sequence, padding included (the next token's cache index).
  int position() const { return position_; }
  /// Positions the KV cache of each sequence holds.
  int context_length() const { return model_->config().seq_len; }
  /// Sequences the session holds.
  int max_batch() const { return max_batch_; }
  /// Bytes of the KV caches, fixed at construction.
  std::uint64_t memory_bytes() const;
  /// Forgets the conversations and paddings (the caches are reused, not freed).
  void reset();

  /// The model it runs.
  const Model& model() const { return *model_; }

  /// Sees the attention probabilities of every layer of sequence 0 after the masked softmax:
  /// `probs` is (T, n_heads, n_keys) for the block's T queries against n_keys cached keys
  /// (masked positions are exactly 0). For heatmaps and debugging; costs nothing when unset.
  using AttentionObserver =
      std::function<void(int layer, const float* probs, int T, int n_heads, int n_keys)>;
  void set_attention_observer(AttentionObserver observer) { observer_ = std::move(observer); }

 private:
  std::span<const float> run(std::span<const int> tokens, std::span<const int> sequences, int T,
                             bool all_logits, const Mask* mask = nullptr);
  void reserve_rows(int rows);
  float* cache_row(std::vector<float>& cache, int layer, int sequence, int pos);

  std::shared_ptr<const Model> model_;
  int max_batch_;
  int position_ = 0;
  std::vector<int> padding_;        // (max_batch) leading padding positions per sequence
  std::vector<float> key_cache_;    // (layer, max_batch, seq_len, kv_dim)
  std::vector<float> value_cache_;  // (layer, max_batch, seq_len, kv_dim)
  // Activations of the current step: R rows = sequences x block tokens.
  std::vector<float> x_;       // (R, dim) residual stream
  std::vector<float> xb_;      // (R, dim) normalised input of a sub-layer / its output
  std::vector<float> xb2_;     // (R, dim) attention output before wo
  std::vector<float> q_;       // (R, dim) queries
  std::vector<float> k_;       // (R, kv_dim) new keys, before they go to the caches
  std::vector<float> v_;       // (R, kv_dim) new values
  std::vector<float> hb_;      // (R, hidden_dim) FFN gate
  std::vector<float> hb2_;     // (R, hidden_dim) FFN up
  std::vector<float> scores_;  // (block, n_heads, seq_len) attention scores, then probabilities
  std::vector<float> logits_;  // (rows with logits, vocab_size)
  AttentionObserver observer_;
  // Reused every step so a decode step allocates nothing.
  std::vector<Mask> masks_;      // (sequences in the step) causal & padding mask of each
  Mask padding_mask_;            // scratch for one sequence's padding mask
  std::vector<int> logit_rows_;  // rows of the step that get logits
};

}  // namespace engine
