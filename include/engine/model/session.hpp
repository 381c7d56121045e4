// Conversations with a model: KV caches, positions and scratch buffers. A session holds up to
// `max_batch` sequences, each at its own position; one forward pass runs any of them together,
// each with its own number of tokens (a server's decode steps beside a prompt's chunk). Each
// session owns the threads its decode steps run on (see step_threads()): sessions on different
// threads run side by side, each as it would alone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "engine/attention/mask.hpp"
#include "engine/model/model.hpp"

namespace engine {

/// How a block of 17 rows or more (a prompt, a large batch) runs its linear layers and attention.
enum class BlockPath {
  /// On the block kernels: the linear layers on the weights packed at load (our panel kernel, or
  /// oneDNN), attention on register-tiled block kernels. The fastest.
  packed,
  /// On the per-row (GEMV) kernels decode runs: slower, but bit for bit the sums a token-by-token
  /// run makes (what the exactness tests compare against).
  gemv,
};

struct SessionOptions {
  /// Sequences the session holds (1..4096).
  int max_batch = 1;
  /// Sliding-window attention: each query sees the last `window` positions, itself included,
  /// and the KV cache is a ring of only the rows that needs, so a sequence can run past the
  /// context length (with RoPE; learned positions end there, see position_limit()). 0 (or a window
  /// at least the context length, which every query of the context sees whole): plain causal
  /// attention over a full cache of the context length.
  int window = 0;
  /// With a window: the most tokens one forward pass runs; a longer block (a long prompt) runs
  /// in chunks of this many. The ring holds window + block - 1 rows (see KvCache). 0: the
  /// window, at most 64 (chunks of 64 rows keep the matmuls efficient; the ring stays under
  /// twice the window).
  int block = 0;
  /// The kernels blocks of 17 rows or more run on (steps of fewer rows always run per row).
  BlockPath block_path = BlockPath::packed;
  /// Threads its forward passes run on (its own decode team, and OpenMP's for blocks). 0: as
  /// many as the calling thread's num_threads() at each pass (see set_num_threads).
  int threads = 0;
};

/// One sequence's part of a ragged step: its next tokens, at its own position.
struct SequenceTokens {
  int sequence = 0;
  std::span<const int> tokens;
};

class Session {
 public:
  /// A session for up to `max_batch` sequences, each with a KV cache of the model's context
  /// length, allocated once here (see memory_bytes()).
  explicit Session(std::shared_ptr<const Model> model, int max_batch = 1);
  /// A session with any options (a sliding window), its KV caches allocated once here.
  Session(std::shared_ptr<const Model> model, const SessionOptions& options);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  /// Runs `tokens` of sequence 0 as one block at positions [position(0), position(0) + size): a
  /// whole prompt at once, or a single token per decode step. Their keys and values are
  /// appended to the KV cache. Returns the logits of the last token (vocab_size floats), or
  /// with `all_logits` those of every token ((tokens.size(), vocab_size), row-major). The span
  /// stays valid until the next call. Throws engine::Error (context_full) when the block does
  /// not fit before position_limit(), (invalid_argument) for an empty block or a
  /// token out of range.
  std::span<const float> forward(std::span<const int> tokens, bool all_logits = false);

  /// The same with the caller's mask instead of the causal one: any kind or combination
  /// (sliding window, prefix-LM, custom), shape (tokens.size(), position(0) + tokens.size()),
  /// row t for the token at position(0) + t, column c for key c. It goes through the same mask
  /// stage and masked softmax; fully masked rows attend to nothing (zeros). Not for a session
  /// with a window, whose cache no longer holds every column (throws invalid_argument).
  std::span<const float> forward(std::span<const int> tokens, const Mask& mask,
                                 bool all_logits = false);

  /// One block of T tokens for each sequence in `sequences` (indices < max_batch(), each once),
  /// each at its own position: `tokens` is (sequences.size(), T) row-major. Each sequence
  /// attends only to its own cache, through the causal mask combined with its padding mask.
  /// Returns the logits of each sequence's last token: (sequences.size(), vocab_size). Sequences
  /// left out of a step keep their cache and position.
  std::span<const float> forward_batch(std::span<const int> tokens, std::span<const int> sequences);

  /// One ragged step: each listed sequence (each once) runs its own tokens at its own position,
  /// all rows through one set of matmuls and each sequence's attention through its own causal
  /// and padding mask. A row's logits do not depend on which other sequences share the step
  /// (bit for bit while the step stays on the per-row kernels, below 17 rows). Returns the
  /// logits of each sequence's last token: (blocks.size(), vocab_size), valid until the next
  /// call. Throws as forward(), and (invalid_argument) for a sequence listed twice.
  std::span<const float> forward_ragged(std::span<const SequenceTokens> blocks);

  /// Marks the first `padding` positions of `sequence` as left padding: masked for every query,
  /// and the RoPE position of a real token counts from the first real one (as Hugging Face
  /// computes it: cumsum(attention_mask) - 1). Set before the sequence's first block. Without a
  /// window the padding must leave room in the context.
  void set_padding(int sequence, int padding);

  /// Tokens `sequence` has processed so far, padding included (its next token's position).
  /// With a window it can pass context_length().
  int position(int sequence) const;
  /// The furthest position of any sequence: that of sequences stepping in lockstep.
  int position() const;
  /// The model's context length: the positions a session without a window holds.
  int context_length() const;
  /// The sliding window (positions each query sees), or 0 for plain causal attention.
  int window() const;
  /// The positions a sequence can reach: the context length, or with a window any number (RoPE
  /// is computed for any position) unless the model learned its positions (GPT-2), which end at
  /// its context.
  int position_limit() const;
  /// Sequences the session holds.
  int max_batch() const;
  /// Bytes of the KV caches, fixed at construction (with a window: only the ring's rows).
  std::uint64_t memory_bytes() const;
  /// Forgets the conversations and paddings (the caches are reused, not freed).
  void reset();
  /// Forgets one sequence's conversation and padding: it starts again at position 0 while the
  /// others go on.
  void reset_sequence(int sequence);
  /// The earliest position truncate() can go back to: past every sequence's left padding and,
  /// with a window, late enough that the ring still holds the window before it (it overwrites
  /// the oldest rows as it goes).
  int truncation_limit() const;
  /// Forgets the tokens from `position` on in every sequence (one already shorter keeps its
  /// own), keeping the cache before it: the next block runs at `position`. A conversation that
  /// changed after a common prefix re-runs only the rest. Throws engine::Error
  /// (invalid_argument) outside [truncation_limit(), position()].
  void truncate(int position);

  /// The model it runs.
  const Model& model() const;

  /// Threads the last forward pass ran on. A step of fewer than 17 rows (decode) runs on the
  /// session's own thread team, never shared with another session: SessionOptions::threads (at
  /// most the usable CPUs; 1 when the step is too small to split or is observed). A longer block
  /// runs on as many of the calling thread's OpenMP threads.
  int step_threads() const;

  /// Sees the attention probabilities of every layer of every sequence after the masked
  /// softmax: `probs` is (T, n_heads, n_keys) for the block's T = mask.rows() queries against
  /// n_keys = mask.cols() cached keys, `mask` the mask stage's output for that sequence (where it
  /// is 0 the probability is exactly 0; with a window, the keys are the ring's slots). For
  /// heatmaps and debugging; costs nothing when unset.
  using AttentionObserver = std::function<void(int sequence, int layer, const float* probs,
                                               const Mask& mask, int n_heads)>;
  void set_attention_observer(AttentionObserver observer);

 private:
  /// The caches, positions and scratch buffers: the library's own (src/model/session_impl.hpp),
  /// hidden so that they can change without breaking apps built against this header.
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace engine
