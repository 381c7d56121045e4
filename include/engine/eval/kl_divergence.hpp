// How far a model's next-token distributions are from a base model's (a quantised model against
// its f32 original): KL divergence per scored token and how often their top choices agree.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace engine {

struct KlDivergenceResult {
  std::int64_t tokens = 0;
  /// Mean of KL(base || current) in nats, and its standard error.
  double mean = 0;
  double std_error = 0;
  /// The 99th percentile (nearest rank) and the largest per-token divergence.
  double p99 = 0;
  double max = 0;
  /// The fraction of tokens whose most likely next token is the same in both.
  double top1_agreement = 0;
};

/// Adds up KL(base || current) = sum_j p_j (log p_j - log q_j) token by token. Both sides are
/// taken at f32 precision (the base file stores f32), so a model against its own base gives
/// exactly 0.
class KlDivergence {
 public:
  /// One token: the base's log-probabilities and the current model's, each (vocab_size).
  void add(std::span<const float> base_log_probs, std::span<const double> log_probs);
  /// Throws engine::Error (invalid_argument) when no token was added.
  KlDivergenceResult result() const;

 private:
  std::vector<double> divergences_;  // (tokens) one per token, in order
  std::int64_t top1_agreements_ = 0;
};

}  // namespace engine
