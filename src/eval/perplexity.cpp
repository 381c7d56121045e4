// Scoring sequences with a loss mask: padded batches stepped through a Session, the log-softmax
// of every scored position in double.
#include "engine/eval/perplexity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "engine/error.hpp"
#include "eval/sample_statistics.hpp"

namespace engine {

namespace {

void check_sequence(const ScoredSequence& s, std::size_t index, int context) {
  if (s.tokens.empty() || s.scored.size() != s.tokens.size() || s.scored[0] != 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("sequence {}: {} tokens need a loss mask of as many entries that "
                            "does not score the first (got {})",
                            index, s.tokens.size(), s.scored.size()));
  if (s.tokens.size() > static_cast<std::size_t>(context))
    throw Error(ErrorCode::context_full,
                fmt::format("sequence {} is {} tokens but the context holds {}", index,
                            s.tokens.size(), context));
}

// out = log_softmax(logits) in double: z - max - log(sum exp(z - max)).
void log_softmax(std::span<const float> logits, std::vector<double>& out) {
  out.resize(logits.size());
  const double max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (std::size_t j = 0; j < logits.size(); ++j) sum += std::exp(logits[j] - max);
  const double log_sum = max + std::log(sum);
  for (std::size_t j = 0; j < logits.size(); ++j) out[j] = logits[j] - log_sum;
}

}  // namespace

PerplexityResult score_sequences(Session& session, std::span<const ScoredSequence> sequences,
                                 const std::function<void(const ScoredToken&)>& observer) {
  const auto start = std::chrono::steady_clock::now();
  // first_index[i]: the index of sequence i's first scored token.
  std::vector<std::int64_t> first_index(sequences.size() + 1, 0);
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    check_sequence(sequences[i], i, session.context_length());
    first_index[i + 1] = first_index[i] + std::count(sequences[i].scored.begin(),
                                                     sequences[i].scored.end(), std::uint8_t{1});
  }
  const std::int64_t total = first_index.back();
  if (total == 0) throw Error(ErrorCode::invalid_argument, "no token to score");

  const std::size_t vocab = session.model().config().vocab_size;
  std::vector<double> nlls(static_cast<std::size_t>(total));  // (total) in index order
  std::vector<double> log_probs;                              // (vocab) one position's
  std::vector<int> column, batch_sequences;  // (batch) one position's tokens; 0..batch-1
  PerplexityResult result;
  const std::size_t max_batch = static_cast<std::size_t>(session.max_batch());
  for (std::size_t first = 0; first < sequences.size(); first += max_batch) {
    const std::span<const ScoredSequence> batch =
        sequences.subspan(first, std::min(max_batch, sequences.size() - first));
    const int B = static_cast<int>(batch.size());
    std::size_t length = 0;
    for (const ScoredSequence& s : batch) length = std::max(length, s.tokens.size());
    session.reset();
    std::vector<std::size_t> padding(B);
    std::vector<std::int64_t> next_index(B);  // the index of each sequence's next scored token
    for (int i = 0; i < B; ++i) {
      padding[i] = length - batch[i].tokens.size();
      session.set_padding(i, static_cast<int>(padding[i]));
      next_index[i] = first_index[first + i];
      result.tokens_evaluated += static_cast<std::int64_t>(batch[i].tokens.size()) - 1;
    }
    batch_sequences.resize(B);
    std::iota(batch_sequences.begin(), batch_sequences.end(), 0);
    column.resize(B);
    // Position t's logits predict position t + 1, so the last position need not run.
    for (std::size_t t = 0; t + 1 < length; ++t) {
      for (int i = 0; i < B; ++i) column[i] = t < padding[i] ? 0 : batch[i].tokens[t - padding[i]];
      const std::span<const float> logits = session.forward_batch(column, batch_sequences);
      for (int i = 0; i < B; ++i) {
        if (t < padding[i]) continue;
        const std::size_t next = t + 1 - padding[i];
        if (!batch[i].scored[next]) continue;
        log_softmax(logits.subspan(i * vocab, vocab), log_probs);
        const ScoredToken token{next_index[i]++, batch[i].tokens[next],
                                -log_probs[batch[i].tokens[next]], log_probs};
        nlls[static_cast<std::size_t>(token.index)] = token.nll;
        if (observer) observer(token);
      }
    }
  }
  session.reset();

  const MeanAndError nll = mean_and_std_error(nlls);
  result.tokens_scored = total;
  result.mean_nll = nll.mean;
  result.nll_std_error = nll.std_error;
  result.perplexity = std::exp(result.mean_nll);
  result.perplexity_std_error = result.perplexity * result.nll_std_error;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace engine
