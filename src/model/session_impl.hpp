// What a Session holds: its model, KV caches, positions, paddings and the scratch buffers of a
// step, reused so that a decode step allocates nothing. Session's public calls forward here.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "attention/multi_head_attention.hpp"
#include "engine/attention/mask.hpp"
#include "engine/model/session.hpp"
#include "model/execution_state.hpp"
#include "model/kv_cache.hpp"

namespace engine {

struct Session::Impl {
  Impl(std::shared_ptr<const Model> model, const SessionOptions& options);

  // Session's public calls, documented there.
  std::span<const float> forward(std::span<const int> tokens, bool all_logits);
  std::span<const float> forward(std::span<const int> tokens, const Mask& mask, bool all_logits);
  std::span<const float> forward_batch(std::span<const int> tokens, std::span<const int> sequences);
  std::span<const float> forward_ragged(std::span<const SequenceTokens> blocks);
  void set_padding(int sequence, int padding);
  int position(int sequence) const;
  int position() const { return *std::max_element(positions_.begin(), positions_.end()); }
  int context_length() const { return model_->config().seq_len; }
  int position_limit() const;
  std::uint64_t memory_bytes() const;
  void reset();
  void reset_sequence(int sequence);
  int truncation_limit() const;
  void truncate(int position);

  std::span<const float> run_blocks(std::span<const SequenceTokens> blocks, bool all_logits,
                                    const Mask* mask = nullptr);
  std::span<const float> run(std::span<const SequenceTokens> blocks, bool all_logits,
                             const Mask* mask = nullptr);
  void check_blocks(std::span<const SequenceTokens> blocks);
  void check_sequence(int sequence) const;
  void reserve_rows(int rows, int block);
  // The mask of `sequence`'s block of T queries at its position: causal (with the session's
  // window), narrowed to `window` when > 0 (a model's windowed layer), with its padding, or the
  // caller's mask (narrowed likewise).
  void block_mask(Mask& out, int sequence, int T, int window, const Mask* caller);
  // The cache position of `sequence`'s row at `pos`. A ring counts from the first real token
  // and keeps no padding (negative: not cached), so each sequence's ring is laid out exactly as
  // when it runs alone; a full cache keeps every position, padding included.
  int cache_position(int sequence, int pos) const {
    return window_ ? pos - padding_[sequence] : pos;
  }
  // RoPE cos and sin rows of `pos`: the model's table, or past it computed into row `row` of
  // rope_scratch_.
  std::pair<const float*, const float*> rope(int row, int pos);

  std::shared_ptr<const Model> model_;
  int max_batch_;
  int window_;  // 0: plain causal
  int block_;   // most tokens per pass: the context length, or SessionOptions::block
  std::vector<int> positions_;  // (max_batch) next position of each sequence
  std::vector<int> padding_;    // (max_batch) leading padding positions per sequence
  KvCache cache_;               // (layer, max_batch, capacity, kv_dim) keys and values
  // Activations of the current step: R rows = sequences x block tokens.
  std::vector<float> x_;       // (R, dim) residual stream
  std::vector<float> xb_;      // (R, dim) normalised input of a sub-layer / its output
  std::vector<float> xb2_;     // (R, q_dim) attention output before wo
  std::vector<float> q_;       // (R, q_dim) queries
  std::vector<float> k_;       // (R, kv_dim) new keys, before they go to the caches
  std::vector<float> v_;       // (R, kv_dim) new values
  std::vector<float> hb_;      // (R, hidden_dim) FFN gate
  std::vector<float> hb2_;     // (R, hidden_dim) FFN up
  std::vector<float> scores_;  // (block, n_heads, capacity) one sequence's attention scores, then
                               // probabilities: a row-path block's, or an observed block's; a
                               // step of decode-sized blocks: (R, n_heads, capacity) all of its
  std::vector<float> logits_;  // (rows with logits, vocab_size)
  AttentionObserver observer_;
  // Reused every step so a decode step allocates nothing.
  std::vector<Mask> masks_;         // (sequences in the step) causal & padding mask of each
  std::vector<Mask> window_masks_;  // the same for a model's windowed layers (empty: none)
  Mask padding_mask_;               // scratch for one sequence's padding mask
  std::vector<int> logit_rows_;     // rows of the step that get logits
  std::vector<int> row_begin_;      // (blocks + 1) first row of each block of the step
  std::vector<int> row_block_;      // (R) the block each row of the step belongs to
  std::vector<AttentionBlock> attention_blocks_;  // (layers, blocks) a decode-sized step's
  std::vector<SequenceTokens> step_blocks_;       // forward_batch's blocks
  std::vector<char> in_step_;                     // (max_batch) whether a sequence is in the step
  // Only a windowed session uses these: a long block runs in chunks, RoPE runs past the table.
  std::vector<SequenceTokens> chunk_blocks_;  // one chunk of each block longer than the block
  std::vector<int> chunk_owner_;              // (chunk blocks) the step's block each came from
  std::vector<float> chunk_logits_;           // (rows with logits, vocab_size) of a chunked step
  std::vector<float> rope_scratch_;  // (R, 2, head_size / 2) cos, sin of positions past the table
  std::vector<std::pair<const float*, const float*>> rope_rows_;  // (R) cos, sin of each row
  std::unique_ptr<ExecutionState> execution_;  // the session's own threads (and their state)
};

}  // namespace engine
