// The decoder forward pass (Llama and its kin: RMSNorm, RoPE, grouped-query attention, gated
// feed-forward; GPT-2: learned positions, LayerNorm, biases, GELU; the steps that differ are in
// layer_steps, chosen by each architecture's recipe in model/architecture.hpp), run
// over a ragged step: S sequences, each with its own block of tokens at its own position. The
// linear layers see all R rows in one matmul; attention runs per sequence on its own cache
// through its own mask.
#include "model/session_impl.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <climits>
#include <numeric>

#include "attention/multi_head_attention.hpp"
#include "attention/soft_cap.hpp"
#include "engine/error.hpp"
#include "model/architecture.hpp"
#include "model/execution_state.hpp"
#include "model/layer_steps.hpp"
#include "model/model_impl.hpp"
#include "ops/block_path.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/matmul.hpp"
#include "ops/parallel_chunks.hpp"
#include "ops/rope.hpp"
#include "util/crew.hpp"

namespace engine {

namespace {

// The longest block a windowed session runs in one pass (the ring holds window + block - 1 rows).
constexpr int kMaxBlock = 1 << 20;
// The most threads a session runs on (a crew has at most 64 members; OpenMP takes any count).
constexpr int kMaxThreads = 1024;

// The calling thread's OpenMP thread count, for the scope of a forward pass, set to the
// session's (when it has one of its own) and restored after: OpenMP keeps it per thread.
class PassThreads {
 public:
  explicit PassThreads(int threads) : saved_(omp_get_max_threads()) {
    if (threads > 0 && threads != saved_) omp_set_num_threads(threads);
  }
  ~PassThreads() {
    if (omp_get_max_threads() != saved_) omp_set_num_threads(saved_);
  }
  PassThreads(const PassThreads&) = delete;
  PassThreads& operator=(const PassThreads&) = delete;

 private:
  int saved_;
};
// Rows from which the per-row steps (norms, RoPE, cache writes) are split across OpenMP's
// threads (a fork costs about as much as one row's step): a block's.
constexpr int kParallelRows = kBlockMinRows;

// f(r) for the R rows of a per-row step: split across OpenMP's threads for a block; in a
// decode step's crew, run by one member while the others wait at the barrier after it.
template <class F>
void for_rows(Parallel& parallel, int R, F&& f) {
  if (!parallel.forks())
    return parallel.on_one_member([&] {
      for (int r = 0; r < R; ++r) f(r);
    });
#pragma omp parallel for schedule(static) if (R >= kParallelRows)
  for (int r = 0; r < R; ++r) f(r);
}

// The options, checked, before any member is sized from them.
const SessionOptions& checked(const Model* model, const SessionOptions& options) {
  if (!model) throw Error(ErrorCode::invalid_argument, "Session needs a model");
  if (options.max_batch < 1 || options.max_batch > 4096)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("batch size must be in 1..4096, got {}", options.max_batch));
  if (options.window < 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("window must be at least 1 (0: none), got {}", options.window));
  if (options.threads < 0 || options.threads > kMaxThreads)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("threads must be in 1..{} (0: the caller's), got {}", kMaxThreads,
                            options.threads));
  if (options.block < 0 || options.block > kMaxBlock)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("block must be in 1..{} (0: the default), got {}", kMaxBlock, options.block));
  return options;
}

// Every query in the context sees a window at least as long as the context whole: that is
// plain causal attention, with its full cache.
int effective_window(const Model& model, int window) {
  return window >= model.config().seq_len ? 0 : window;
}

// The most tokens per forward pass: anything that fits in a full cache, else the option.
int block_of(const Model& model, int window, int block) {
  if (window == 0) return model.config().seq_len;
  return block > 0 ? block : std::min(window, 64);
}

}  // namespace

Session::Session(std::shared_ptr<const Model> model, int max_batch)
    : Session(std::move(model), SessionOptions{.max_batch = max_batch}) {}

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options)
    : impl_(std::make_unique<Impl>(std::move(model), options)) {}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

Session::Impl::Impl(std::shared_ptr<const Model> model, const SessionOptions& options)
    : model_(std::move(model)),
      max_batch_(checked(model_.get(), options).max_batch),
      window_(effective_window(*model_, options.window)),
      block_(block_of(*model_, window_, options.block)),
      cache_(model_->config().n_layers, max_batch_,
             window_ ? KvCache::window_capacity(window_, block_) : model_->config().seq_len,
             model_->config().kv_dim()),
      execution_(std::make_unique<ExecutionState>()) {
  execution_->block_path = options.block_path == BlockPath::packed;
  execution_->threads = options.threads;
  positions_.assign(max_batch_, 0);
  padding_.assign(max_batch_, 0);
  in_step_.assign(max_batch_, 0);
  // Decode steps (one query row against up to capacity keys) then never allocate a mask.
  masks_.resize(max_batch_);
  for (Mask& mask : masks_) mask.reserve(cache_.capacity());
  // Gemma 2's windowed layers have masks of their own.
  if (model_->config().sliding_window > 0) {
    window_masks_.resize(max_batch_);
    for (Mask& mask : window_masks_) mask.reserve(cache_.capacity());
  }
  padding_mask_.reserve(cache_.capacity());
  logit_rows_.reserve(max_batch_);
  row_begin_.reserve(max_batch_ + 1);
  step_blocks_.reserve(max_batch_);
}

int Session::Impl::position_limit() const {
  return window_ && !model_->has_learned_positions() ? INT_MAX : context_length();
}

std::uint64_t Session::Impl::memory_bytes() const {
  return cache_.bytes();
}

void Session::Impl::reset() {
  std::fill(positions_.begin(), positions_.end(), 0);
  std::fill(padding_.begin(), padding_.end(), 0);
}

int Session::Impl::truncation_limit() const {
  int limit = 0;
  for (int s = 0; s < max_batch_; ++s) {
    limit = std::max(limit, padding_[s]);
    // A ring of `capacity` rows holds a sequence's last `capacity` real positions; once it has
    // wrapped, a query at n needs rows back to n - window + 1, so n may go back `block_` at most.
    if (window_ && positions_[s] - padding_[s] > cache_.capacity())
      limit = std::max(limit, positions_[s] - block_);
  }
  return limit;
}

void Session::Impl::truncate(int position) {
  if (position < truncation_limit() || position > this->position())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("cannot truncate to position {}: the session can go back to {}..{}",
                            position, truncation_limit(), this->position()));
  for (int& p : positions_) p = std::min(p, position);
}

void Session::Impl::check_sequence(int sequence) const {
  if (sequence < 0 || sequence >= max_batch_)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("sequence {} is outside the batch of {}", sequence, max_batch_));
}

int Session::Impl::position(int sequence) const {
  check_sequence(sequence);
  return positions_[sequence];
}

void Session::Impl::reset_sequence(int sequence) {
  check_sequence(sequence);
  positions_[sequence] = 0;
  padding_[sequence] = 0;
}

void Session::Impl::set_padding(int sequence, int padding) {
  check_sequence(sequence);
  if (padding < 0 || (window_ == 0 && padding >= context_length()))
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("padding {} does not fit in the context of {}", padding, context_length()));
  padding_[sequence] = padding;
}

void Session::Impl::reserve_rows(int rows, int block) {
  const ModelConfig& c = model_->config();
  const std::size_t R = rows;
  // Attention runs one sequence at a time: the scores need room for one block, not all rows.
  // The block path keeps its scores in per-thread scratch and writes them here only for an
  // observer: without one, only blocks small enough for the row path need room (16 rows, or
  // less work than the block path's threshold), not 512 MB for a 1B model's 2048-token block.
  const std::size_t row_stride = static_cast<std::size_t>(c.n_heads) * cache_.capacity();
  const std::size_t full = static_cast<std::size_t>(block) * row_stride;
  const std::size_t row_path =
      std::max<std::size_t>((kBlockMinRows - 1) * row_stride, kBlockMinWork / c.head_size());
  std::size_t scores = observer_ || !execution_->block_path ? full : std::min(full, row_path);
  // A step of decode-sized blocks runs all their rows' attention at once.
  if (block < kBlockMinRows) scores = std::max(scores, R * row_stride);
  if (scores_.size() < scores) scores_.resize(scores);
  if (x_.size() >= R * c.dim) return;
  for (auto* v : {&x_, &xb_}) v->resize(R * c.dim);
  for (auto* v : {&xb2_, &q_}) v->resize(R * c.q_dim());
  for (auto* v : {&k_, &v_}) v->resize(R * c.kv_dim());
  for (auto* v : {&hb_, &hb2_}) v->resize(R * c.hidden_dim);
  rope_scratch_.resize(R * c.head_size());
  rope_rows_.resize(R);
}

std::pair<const float*, const float*> Session::Impl::rope(int row, int pos) {
  if (pos < context_length()) return {model_->impl().rope_cos(pos), model_->impl().rope_sin(pos)};
  // Past the table (only a windowed session gets here): computed once per row and step, for
  // every layer to use.
  const int half = model_->config().head_size() / 2;
  float* cos = rope_scratch_.data() + static_cast<std::size_t>(row) * 2 * half;
  model_->impl().compute_rope(pos, cos, cos + half);
  return {cos, cos + half};
}

std::span<const float> Session::Impl::forward(std::span<const int> tokens, bool all_logits) {
  const SequenceTokens block{.sequence = 0, .tokens = tokens};
  return run_blocks(std::span(&block, 1), all_logits);
}

std::span<const float> Session::Impl::forward(std::span<const int> tokens, const Mask& mask,
                                              bool all_logits) {
  const int T = static_cast<int>(tokens.size()), P = positions_[0];
  if (window_)
    throw Error(ErrorCode::invalid_argument,
                "a caller's mask needs a session without a window (its cache keeps only the "
                "window)");
  if (mask.rows() != T || mask.cols() != P + T)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("a block of {} tokens at position {} needs a ({}, {}) mask, got ({}, {})", T, P,
                    T, P + T, mask.rows(), mask.cols()));
  const SequenceTokens block{.sequence = 0, .tokens = tokens};
  return run_blocks(std::span(&block, 1), all_logits, &mask);
}

std::span<const float> Session::Impl::forward_batch(std::span<const int> tokens,
                                                    std::span<const int> sequences) {
  if (sequences.empty() || tokens.size() % sequences.size() != 0)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("forward_batch: {} tokens for {} sequences", tokens.size(), sequences.size()));
  const std::size_t T = tokens.size() / sequences.size();
  step_blocks_.clear();
  for (std::size_t i = 0; i < sequences.size(); ++i)
    step_blocks_.push_back({.sequence = sequences[i], .tokens = tokens.subspan(i * T, T)});
  return run_blocks(step_blocks_, false);
}

std::span<const float> Session::Impl::forward_ragged(std::span<const SequenceTokens> blocks) {
  return run_blocks(blocks, false);
}

void Session::Impl::check_blocks(std::span<const SequenceTokens> blocks) {
  const int vocab = model_->config().vocab_size;
  if (blocks.empty()) throw Error(ErrorCode::invalid_argument, "forward: no sequence to run");
  std::fill(in_step_.begin(), in_step_.end(), 0);
  for (const SequenceTokens& block : blocks) {
    check_sequence(block.sequence);
    if (std::exchange(in_step_[block.sequence], 1))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("sequence {} is listed twice in one step", block.sequence));
    const int T = static_cast<int>(block.tokens.size()), P = positions_[block.sequence];
    if (T == 0) throw Error(ErrorCode::invalid_argument, "forward: empty block of tokens");
    if (T > position_limit() - P)
      throw Error(ErrorCode::context_full,
                  fmt::format("{} tokens at position {} do not fit in the context of {}", T, P,
                              position_limit()));
    for (int token : block.tokens)
      if (token < 0 || token >= vocab)
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("token id {} is outside the vocabulary (0..{})", token, vocab - 1));
  }
}

// A block longer than the session's block (a long prompt with a window) runs as consecutive
// chunks, which is the same computation: each chunk's queries see the keys of the chunks
// before it through the cache. A step's blocks chunk side by side; the shorter ones drop out.
std::span<const float> Session::Impl::run_blocks(std::span<const SequenceTokens> blocks,
                                                 bool all_logits, const Mask* mask) {
  check_blocks(blocks);
  std::size_t longest = 0, rows = 0;
  for (const SequenceTokens& block : blocks) {
    longest = std::max(longest, block.tokens.size());
    rows += block.tokens.size();
  }
  if (longest <= static_cast<std::size_t>(block_)) return run(blocks, all_logits, mask);
  // Only windowed sessions chunk, and they take no caller's mask (forward checks it).
  if (mask) throw Error(ErrorCode::invalid_argument, "a caller's mask cannot be split in chunks");
  const std::size_t vocab = model_->config().vocab_size;
  chunk_logits_.resize((all_logits ? rows : blocks.size()) * vocab);
  std::vector<std::size_t> first_row(blocks.size());  // of each block in all the logits
  for (std::size_t i = 1; i < blocks.size(); ++i)
    first_row[i] = first_row[i - 1] + blocks[i - 1].tokens.size();
  for (std::size_t begin = 0; begin < longest; begin += block_) {
    chunk_blocks_.clear();
    chunk_owner_.clear();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const std::span<const int> tokens = blocks[i].tokens;
      if (tokens.size() <= begin) continue;
      chunk_blocks_.push_back(
          {.sequence = blocks[i].sequence,
           .tokens = tokens.subspan(begin, std::min<std::size_t>(block_, tokens.size() - begin))});
      chunk_owner_.push_back(static_cast<int>(i));
    }
    const std::span<const float> logits = run(chunk_blocks_, all_logits);
    for (std::size_t j = 0; j < chunk_blocks_.size(); ++j) {
      const std::size_t i = chunk_owner_[j], n = chunk_blocks_[j].tokens.size();
      if (all_logits)
        std::copy_n(logits.begin() + row_begin_[j] * vocab, n * vocab,
                    chunk_logits_.begin() + (first_row[i] + begin) * vocab);
      else if (begin + n == blocks[i].tokens.size())
        std::copy_n(logits.begin() + j * vocab, vocab, chunk_logits_.begin() + i * vocab);
    }
  }
  return chunk_logits_;
}

void Session::Impl::block_mask(Mask& out, int sequence, int T, int window, const Mask* caller) {
  const int P = positions_[sequence], padding = padding_[sequence];
  if (caller) {  // the caller's own mask (one sequence, checked by forward)
    out = *caller;
    if (window) out &= sliding_window_block_mask(T, P, window);
    return;
  }
  if (window_) {  // the ring keeps the session's window, which holds any narrower one
    padded_sliding_window_ring_mask(
        out, T, P, padding, window ? std::min(window, window_) : window_, cache_.capacity());
    return;
  }
  // A full cache overwrites nothing: the ring form is the block form.
  if (window)
    sliding_window_ring_mask(out, T, P, window, cache_.capacity());
  else
    causal_block_mask(out, T, P);
  if (padding > 0) {
    padding_block_mask(padding_mask_, T, P, std::min(padding, P + T));
    out &= padding_mask_;
  }
}

std::span<const float> Session::Impl::run(std::span<const SequenceTokens> blocks, bool all_logits,
                                          const Mask* mask) {
  const ModelConfig& c = model_->config();
  const TransformerWeights& w = model_->weights();
  const int S = static_cast<int>(blocks.size());
  // Rows [row_begin_[i], row_begin_[i + 1]) are block i's, in order.
  row_begin_.resize(S + 1);
  row_begin_[0] = 0;
  int longest = 0;
  for (int i = 0; i < S; ++i) {
    const int T = static_cast<int>(blocks[i].tokens.size());
    row_begin_[i + 1] = row_begin_[i] + T;
    longest = std::max(longest, T);
  }
  const int R = row_begin_[S];
  row_block_.resize(R);
  for (int i = 0; i < S; ++i)
    std::fill(row_block_.begin() + row_begin_[i], row_block_.begin() + row_begin_[i + 1], i);
  reserve_rows(R, longest);
  const PassThreads pass_threads(execution_->threads);
  const kernels::KernelTable& k = kernels::kernels();
  // Row offsets in size_t: rows x width can pass INT_MAX for big batches of long prompts.
  const std::size_t dim = c.dim, q_dim = c.q_dim(), kv_dim = c.kv_dim();
  const bool rotates = recipe(c.architecture).rope != RopeStyle::none;

  // Sequence and position (padding included) of row r.
  const auto sequence_of = [&](int r) { return blocks[row_block_[r]].sequence; };
  const auto position_of = [&](int r) {
    return positions_[sequence_of(r)] + r - row_begin_[row_block_[r]];
  };
  for (int r = 0; r < R; ++r) {
    const int token = blocks[row_block_[r]].tokens[r - row_begin_[row_block_[r]]];
    // Padded rows get any valid position (they attend to nothing).
    const int pos = std::max(0, position_of(r) - padding_[sequence_of(r)]);
    embed(c, w, token, pos, x_.data() + r * dim, xb_.data() + r * dim);
    if (rotates) rope_rows_[r] = rope(r, pos);
  }

  // The mask stage: row t of a sequence at P (position P+t) may attend to keys 0..P+t (with a
  // window, only the last window of them), minus the sequence's left padding (whose own rows
  // are fully masked and so attend to nothing). Columns are cache slots: with a window, the
  // ring's slots, each standing for the real token it holds (see cache_position). Layers with a
  // window of their own (Gemma 2's) get the sliding-window kind of the same masks.
  for (int i = 0; i < S; ++i) {
    const int s = blocks[i].sequence, T = row_begin_[i + 1] - row_begin_[i];
    block_mask(masks_[i], s, T, 0, mask);
    if (!window_masks_.empty()) block_mask(window_masks_[i], s, T, c.sliding_window, mask);
  }

  // A step of decode-sized blocks (all on attention's row path) runs each layer's attention for
  // all of them in one parallel loop, unless an observer looks at each sequence's: their blocks,
  // layer by layer, made here (a crew member must not allocate).
  const bool one_attention_loop = longest < kBlockMinRows && !observer_;
  attention_blocks_.clear();
  if (one_attention_loop)
    for (int l = 0; l < c.n_layers; ++l)
      for (int i = 0; i < S; ++i) {
        const int s = blocks[i].sequence;
        const std::size_t first = row_begin_[i];
        attention_blocks_.push_back({.q = q_.data() + first * q_dim,
                                     .keys = cache_.keys(l, s),
                                     .values = cache_.values(l, s),
                                     .mask = &(c.layer_window(l) ? window_masks_ : masks_)[i],
                                     .out = xb2_.data() + first * q_dim});
      }

  // Classifier: over every row, or only each sequence's last (all generation needs).
  std::vector<int>& rows = logit_rows_;
  rows.resize(all_logits ? R : S);
  if (all_logits)
    std::iota(rows.begin(), rows.end(), 0);
  else
    for (int i = 0; i < S; ++i) rows[i] = row_begin_[i + 1] - 1;
  logits_.resize(rows.size() * c.vocab_size);
  // Row r of the residual stream plus the sub-layer output before it (xb, unless `first`),
  // then normalised into xb for the next sub-layer: one per-row step (one barrier in a crew).
  const auto add_and_normalize = [&](Parallel& parallel, bool first, const float* weight,
                                     const float* bias) {
    for_rows(parallel, R, [&](int r) {
      if (!first) k.axpy(1.0f, xb_.data() + r * dim, x_.data() + r * dim, dim);
      normalize(c, x_.data() + r * dim, weight, bias, xb_.data() + r * dim);
    });
  };

  // Gemma 2 normalises each sub-layer's output (xb) before the residual add.
  const auto post_normalize = [&](Parallel& parallel, const float* weight) {
    if (weight)
      for_rows(parallel, R, [&](int r) {
        normalize(c, xb_.data() + r * dim, weight, nullptr, xb_.data() + r * dim);
      });
  };

  // The pass, on one thread of those running it: `parallel` says how its collective calls (every
  // one given `parallel` or `step`) share their work.
  const auto layers_and_classifier = [&](Parallel& parallel) {
    const StepContext step{.block_path = execution_->block_path,
                           .workspace = execution_->workspace,
                           .parallel = parallel};
    for (int l = 0; l < c.n_layers; ++l) {
      const LayerWeights& lw = w.layers[l];

      // Attention sub-layer (after the residual add of the layer before's feed-forward).
      add_and_normalize(parallel, l == 0, lw.rms_att, lw.att_norm_bias);
      project_qkv(step, lw, xb_.data(), q_.data(), k_.data(), v_.data(), R);
      for_rows(parallel, R, [&](int r) {
        const int s = sequence_of(r);
        if (rotates)
          rotate_query_key(c, q_.data() + r * q_dim, k_.data() + r * kv_dim, rope_rows_[r].first,
                           rope_rows_[r].second);
        const int slot_position = cache_position(s, position_of(r));
        if (slot_position < 0) return;  // left padding a ring never keeps
        std::copy_n(k_.data() + r * kv_dim, kv_dim, cache_.key_row(l, s, slot_position));
        std::copy_n(v_.data() + r * kv_dim, kv_dim, cache_.value_row(l, s, slot_position));
      });
      const std::vector<Mask>& layer_masks = c.layer_window(l) ? window_masks_ : masks_;
      if (one_attention_loop)
        multi_sequence_attention(step, c, std::span(attention_blocks_).subspan(l * S, S),
                                 scores_.data());
      else
        for (int i = 0; i < S; ++i) {
          const int s = blocks[i].sequence;
          const std::size_t first = row_begin_[i];
          multi_head_attention(step, c, q_.data() + first * q_dim, cache_.keys(l, s),
                               cache_.values(l, s), layer_masks[i], scores_.data(),
                               xb2_.data() + first * q_dim, observer_ != nullptr);
          if (observer_) observer_(s, l, scores_.data(), layer_masks[i], c.n_heads);
        }
      linear(step, xb2_.data(), lw.wo, lw.bo, xb_.data(), R);
      post_normalize(parallel, lw.post_att_norm);

      // Feed-forward sub-layer.
      add_and_normalize(parallel, false, lw.rms_ffn, lw.ffn_norm_bias);
      feed_forward(step, c, lw, xb_.data(), hb_.data(), hb2_.data(), xb_.data(), R);
      post_normalize(parallel, lw.post_ffn_norm);
    }
    for_rows(parallel, R,
             [&](int r) { k.axpy(1.0f, xb_.data() + r * dim, x_.data() + r * dim, dim); });
    for_rows(parallel, static_cast<int>(rows.size()), [&](int i) {
      normalize(c, x_.data() + rows[i] * dim, w.rms_final, w.final_norm_bias, xb_.data() + i * dim);
    });
    matmul(step, xb_.data(), w.wcls, logits_.data(), static_cast<int>(rows.size()));
    if (c.final_softcap > 0)
      for_chunks(parallel, logits_.size(), [&](std::size_t i, std::size_t count) {
        soft_cap(logits_.data() + i, count, c.final_softcap);
      });
  };
  // A step of fewer rows than a block (decode) is ~70 short loops per token: run as one job of
  // the session's thread team (a crew), each loop closed by a barrier, rather than a fork and join
  // per loop; on the caller alone when even its largest weight pass is too small to split (the
  // barriers would cost more). A block forks OpenMP teams, like the oneDNN and block kernels
  // in it; so does an observed step (the observer is the caller's code, which may throw: a crew's
  // member must not).
  if (R < kBlockMinRows && !observer_) {
    const std::int64_t largest_pass =
        std::int64_t{R} * c.dim *
        std::max({c.vocab_size, c.hidden_dim, c.q_dim() + 2 * c.kv_dim()});
    const int threads = largest_pass >= kRowPathSplitWork ? omp_get_max_threads() : 1;
    // Each member converts its inputs into its own buffers: there before the crew starts.
    std::vector<ConvertedInput>& inputs = execution_->workspace.inputs;
    if (inputs.size() < static_cast<std::size_t>(Crew::members(threads)))
      inputs.resize(Crew::members(threads));
    execution_->step_threads = execution_->crew.run(threads, layers_and_classifier);
  } else {
    layers_and_classifier(Parallel::forking());
    execution_->step_threads = omp_get_max_threads();
  }
  for (const SequenceTokens& block : blocks)
    positions_[block.sequence] += static_cast<int>(block.tokens.size());
  return logits_;
}

// The public calls, forwarded to the Impl.
std::span<const float> Session::forward(std::span<const int> tokens, bool all_logits) {
  return impl_->forward(tokens, all_logits);
}
std::span<const float> Session::forward(std::span<const int> tokens, const Mask& mask,
                                        bool all_logits) {
  return impl_->forward(tokens, mask, all_logits);
}
std::span<const float> Session::forward_batch(std::span<const int> tokens,
                                              std::span<const int> sequences) {
  return impl_->forward_batch(tokens, sequences);
}
std::span<const float> Session::forward_ragged(std::span<const SequenceTokens> blocks) {
  return impl_->forward_ragged(blocks);
}
void Session::set_padding(int sequence, int padding) {
  impl_->set_padding(sequence, padding);
}
int Session::position(int sequence) const {
  return impl_->position(sequence);
}
int Session::position() const {
  return impl_->position();
}
int Session::context_length() const {
  return impl_->context_length();
}
int Session::window() const {
  return impl_->window_;
}
int Session::position_limit() const {
  return impl_->position_limit();
}
int Session::max_batch() const {
  return impl_->max_batch_;
}
int Session::step_threads() const {
  return impl_->execution_->step_threads;
}
std::uint64_t Session::memory_bytes() const {
  return impl_->memory_bytes();
}
void Session::reset() {
  impl_->reset();
}
void Session::reset_sequence(int sequence) {
  impl_->reset_sequence(sequence);
}
int Session::truncation_limit() const {
  return impl_->truncation_limit();
}
void Session::truncate(int position) {
  impl_->truncate(position);
}
const Model& Session::model() const {
  return *impl_->model_;
}
void Session::set_attention_observer(AttentionObserver observer) {
  impl_->observer_ = std::move(observer);
}

}  // namespace engine
