#include "engine/generation/sampler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/error.hpp"

namespace engine {

void validate(const SamplingOptions& o) {
  if (!(o.temperature >= 0.0f) || !std::isfinite(o.temperature))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("temperature must be >= 0, got {}", o.temperature));
  if (o.top_k < 0)
    throw Error(ErrorCode::invalid_argument, fmt::format("top-k must be >= 0, got {}", o.top_k));
  if (!(o.top_p > 0.0f && o.top_p <= 1.0f))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("top-p must be in (0, 1], got {}", o.top_p));
}

Sampler::Sampler(const SamplingOptions& options)
    : options_(options), state_(options.seed ^ 0x9E3779B97F4A7C15ull) {
  validate(options_);
}

// splitmix64: a small, well-mixed generator; the state is the seed, so results never depend on
// threads or on anything but the sequence of calls.
float Sampler::next_uniform() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) / 16777216.0f;  // 24 random bits
}

namespace {

// NaN or +inf anywhere (or nothing above -inf) means the forward pass broke: no token is
// meaningful, and a NaN would poison every comparison below. -inf is a token never drawn.
void check_finite(std::span<const float> logits) {
  if (logits.empty()) throw Error(ErrorCode::invalid_argument, "no logits to sample from");
  bool any_finite = false;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (std::isnan(logits[i]) || logits[i] == std::numeric_limits<float>::infinity())
      throw Error(ErrorCode::bad_format,
                  fmt::format("the logits are not finite (token {} is {}): the model's weights "
                              "or its arithmetic produced NaN or infinity",
                              i, logits[i]));
    any_finite = any_finite || std::isfinite(logits[i]);
  }
  if (!any_finite)
    throw Error(ErrorCode::bad_format, "the logits are not finite (every token is -inf)");
}

}  // namespace

int Sampler::sample(std::span<float> logits) {
  check_finite(logits);
  const int n = static_cast<int>(logits.size());
  if (options_.temperature == 0.0f)
    return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());

  // Softmax of logits / temperature, in double for the normaliser.
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float& l : logits) {
    l = std::exp((l - max) / options_.temperature);
    sum += l;
  }
  // A token below (1 - top_p) / (n - 1) can never be in the nucleus (as llama2.c observes), so
  // only the rest are sorted.
  const float cutoff = options_.top_p < 1.0f && n > 1 ? (1.0f - options_.top_p) / (n - 1) : 0.0f;
  candidates_.clear();
  for (int i = 0; i < n; ++i) {
    const float p = static_cast<float>(logits[i] / sum);
    if (p >= cutoff) candidates_.emplace_back(p, i);
  }
  // Below a nucleus of 1/n no probability reaches the cutoff: fall back to every token, so the
  // most likely one is still found below.
  if (candidates_.empty())
    for (int i = 0; i < n; ++i) candidates_.emplace_back(static_cast<float>(logits[i] / sum), i);

  // Most likely first (ties by token id, so the order is fully determined), then cut to top-k
  // and to the nucleus of mass top_p.
  const auto by_probability = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::size_t keep = candidates_.size();
  if (options_.top_k > 0) keep = std::min<std::size_t>(keep, options_.top_k);
  if (keep < candidates_.size() || options_.top_p < 1.0f) {
    std::partial_sort(candidates_.begin(), candidates_.begin() + keep, candidates_.end(),
                      by_probability);
    if (options_.top_p < 1.0f) {
      double mass = 0.0;
      for (std::size_t i = 0; i < keep; ++i) {
        mass += candidates_[i].first;
        if (mass >= options_.top_p) {
          keep = i + 1;
          break;
        }
      }
    }
  }
  double kept_mass = 0.0;
  for (std::size_t i = 0; i < keep; ++i) kept_mass += candidates_[i].first;

  const double r = next_uniform() * kept_mass;
  double cdf = 0.0;
  for (std::size_t i = 0; i < keep; ++i) {
    cdf += candidates_[i].first;
    if (r < cdf) return candidates_[i].second;
  }
  return candidates_[keep - 1].second;  // rounding at the very end of the cdf
}

}  // namespace engine
