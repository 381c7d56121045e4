// Perplexity of a model on a text: sequences with a loss mask, run as left-padded batches through
// one Session, the loss the mean negative log-likelihood of the scored tokens only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/model/session.hpp"

namespace engine {

/// One sequence to score and its loss mask (Hugging Face's labels != -100): token t counts when
/// scored[t] != 0, by its negative log-likelihood under the logits after tokens 0..t-1. Nothing
/// predicts the first token (BOS), so scored[0] is always 0.
struct ScoredSequence {
  std::vector<int> tokens;
  std::vector<std::uint8_t> scored;  // (tokens.size()) the loss mask
};

/// Windows of `ctx` tokens over a long text, as Hugging Face's strided perplexity runs them: BOS
/// first (`bos` < 0: none), then text tokens from k * stride, and each window scores only the
/// text tokens no window before it reached (the first window: all of them). Every text token is
/// scored once; after the first window each has at least ctx - stride - 1 tokens of context
/// (stride ctx / 2: the first half of a window is context only, as llama.cpp scores). The last
/// window may be shorter. Throws engine::Error (invalid_argument) unless 2 <= ctx and
/// 1 <= stride < ctx.
std::vector<ScoredSequence> strided_windows(std::span<const int> text, int bos, int ctx,
                                            int stride);

/// Each line its own sequence (Hugging Face's per-example evaluation): BOS (`bos` < 0: none),
/// then the line's tokens, every token after the first scored from its own prefix.
std::vector<ScoredSequence> line_sequences(std::span<const std::vector<int>> lines, int bos);

/// One scored token, as score_sequences reaches it.
struct ScoredToken {
  /// Its rank among all scored tokens: by sequence, then position (the same whatever the batch).
  std::int64_t index = 0;
  /// The token predicted.
  int target = 0;
  /// -log p(target): log_probs[target] negated.
  double nll = 0;
  /// (vocab_size) the log-softmax of the logits that predict it, in double. Valid during the
  /// call.
  std::span<const double> log_probs;
};

struct PerplexityResult {
  std::int64_t tokens_scored = 0;
  /// Real (not padding) tokens run through the model: every position but each sequence's last
  /// (its logits would predict nothing), context positions included.
  std::int64_t tokens_evaluated = 0;
  double mean_nll = 0;
  /// Standard error of mean_nll: the sample standard deviation of the NLLs over sqrt(n).
  double nll_std_error = 0;
  /// exp(mean_nll), and its standard error to first order (perplexity * nll_std_error).
  double perplexity = 0;
  double perplexity_std_error = 0;
  /// Wall time of the forward passes and the scoring.
  double seconds = 0;
};

/// Scores `sequences` in batches of session.max_batch(), each batch left-padded to its longest
/// sequence (the padding goes through the session's padding mask) and stepped one position at a
/// time for the logits of every position. A sequence's logits do not depend on the others in its
/// batch, and the NLLs are summed in index order, so any batch size gives the same result.
/// `observer` (optional) sees every scored token. Throws engine::Error (invalid_argument) when no
/// token is scored, a loss mask does not match its tokens or scores a first token,
/// (context_full) when a sequence is longer than the session's context.
PerplexityResult score_sequences(Session& session, std::span<const ScoredSequence> sequences,
                                 const std::function<void(const ScoredToken&)>& observer = {});

}  // namespace engine
