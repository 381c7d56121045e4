// KL divergence of a model's next-token distributions from a base model's, token by token.
#include "engine/eval/kl_divergence.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/error.hpp"
#include "eval/sample_statistics.hpp"

namespace engine {

void KlDivergence::add(std::span<const float> base_log_probs, std::span<const double> log_probs) {
  if (base_log_probs.size() != log_probs.size())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("KL divergence of {} log-probabilities against a base of {}",
                            log_probs.size(), base_log_probs.size()));
  double divergence = 0;
  std::size_t base_top = 0, top = 0;
  for (std::size_t j = 0; j < log_probs.size(); ++j) {
    const double p = base_log_probs[j], q = static_cast<float>(log_probs[j]);
    divergence += std::exp(p) * (p - q);
    if (p > base_log_probs[base_top]) base_top = j;
    if (q > static_cast<float>(log_probs[top])) top = j;
  }
  divergences_.push_back(divergence);
  top1_agreements_ += base_top == top;
}

KlDivergenceResult KlDivergence::result() const {
  if (divergences_.empty())
    throw Error(ErrorCode::invalid_argument, "KL divergence over no tokens");
  KlDivergenceResult r;
  r.tokens = static_cast<std::int64_t>(divergences_.size());
  const double n = static_cast<double>(r.tokens);
  const MeanAndError divergence = mean_and_std_error(divergences_);
  r.mean = divergence.mean;
  r.std_error = divergence.std_error;
  std::vector<double> sorted = divergences_;
  std::sort(sorted.begin(), sorted.end());
  // Nearest rank: the smallest value at least 99 % of the tokens are at or below.
  const auto rank = static_cast<std::size_t>(std::ceil(0.99 * n));
  r.p99 = sorted[std::max<std::size_t>(rank, 1) - 1];
  r.max = sorted.back();
  r.top1_agreement = static_cast<double>(top1_agreements_) / n;
  return r;
}

}  // namespace engine
