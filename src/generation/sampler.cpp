#include "engine/generation/sampler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
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
  if (!(o.min_p >= 0.0f && o.min_p <= 1.0f))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("min-p must be in [0, 1], got {}", o.min_p));
  if (!(o.repeat_penalty > 0.0f) || !std::isfinite(o.repeat_penalty))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("the repeat penalty must be more than 0, got {}", o.repeat_penalty));
  if (o.repeat_last_n < -1)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("repeat-last-n must be -1 (all), 0 (none) or more, got {}", o.repeat_last_n));
  if (!std::isfinite(o.presence_penalty))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("the presence penalty must be finite, got {}", o.presence_penalty));
  if (!std::isfinite(o.frequency_penalty))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("the frequency penalty must be finite, got {}", o.frequency_penalty));
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
// Lanes of the passes over the logits below: fixed-length inner loops, which the compiler turns
// into vector operations (one pass per step and stream of a server, over the whole vocabulary).
constexpr std::size_t kLanes = 16;

void check_finite(std::span<const float> logits) {
  if (logits.empty()) throw Error(ErrorCode::invalid_argument, "no logits to sample from");
  // One pass without branches first, the offending token looked for only once there is one.
  constexpr float inf = std::numeric_limits<float>::infinity();
  const auto broken = [&](float x) { return !(x < inf); };  // NaN or +inf
  const auto finite = [&](float x) {
    return static_cast<int>(x > -inf) & static_cast<int>(x < inf);
  };
  int any_broken[kLanes] = {}, any_finite[kLanes] = {};
  std::size_t i = 0;
  for (; i + kLanes <= logits.size(); i += kLanes)
    for (std::size_t k = 0; k < kLanes; ++k) {
      const float x = logits[i + k];
      any_broken[k] |= broken(x);
      any_finite[k] |= finite(x);
    }
  for (; i < logits.size(); ++i) {
    any_broken[0] |= broken(logits[i]);
    any_finite[0] |= finite(logits[i]);
  }
  if (std::find(std::begin(any_broken), std::end(any_broken), 1) != std::end(any_broken)) {
    const std::size_t at = static_cast<std::size_t>(
        std::find_if(logits.begin(), logits.end(), broken) - logits.begin());
    throw Error(ErrorCode::bad_format,
                fmt::format("the logits are not finite (token {} is {}): the model's weights "
                            "or its arithmetic produced NaN or infinity",
                            at, logits[at]));
  }
  if (std::find(std::begin(any_finite), std::end(any_finite), 1) == std::end(any_finite))
    throw Error(ErrorCode::bad_format, "the logits are not finite (every token is -inf)");
}

// The first token of the largest logit (as std::max_element finds it; the logits hold no NaN):
// the largest value lane by lane, then where it first is.
int first_largest(std::span<const float> logits) {
  float best[kLanes];
  std::fill(std::begin(best), std::end(best), logits[0]);
  std::size_t i = 0;
  for (; i + kLanes <= logits.size(); i += kLanes)
    for (std::size_t k = 0; k < kLanes; ++k)
      best[k] = logits[i + k] > best[k] ? logits[i + k] : best[k];
  for (; i < logits.size(); ++i) best[0] = logits[i] > best[0] ? logits[i] : best[0];
  const float largest = *std::max_element(std::begin(best), std::end(best));
  return static_cast<int>(std::find(logits.begin(), logits.end(), largest) - logits.begin());
}

}  // namespace

// llama.cpp's penalties: each token among the last repeat_last_n of `history`, seen c times, has
// its logit divided by the repeat penalty (multiplied when not positive, so it never rises), then
// lowered by c * frequency_penalty + presence_penalty.
void Sampler::penalise(std::span<float> logits, std::span<const int> history) {
  const SamplingOptions& o = options_;
  if (o.repeat_last_n == 0 ||
      (o.repeat_penalty == 1.0f && o.frequency_penalty == 0.0f && o.presence_penalty == 0.0f))
    return;
  const std::size_t n =
      o.repeat_last_n < 0 ? history.size() : std::min<std::size_t>(history.size(), o.repeat_last_n);
  recent_.assign(history.end() - n, history.end());
  std::sort(recent_.begin(), recent_.end());
  for (std::size_t i = 0; i < recent_.size();) {
    const int token = recent_[i];
    std::size_t count = 0;
    for (; i < recent_.size() && recent_[i] == token; ++i) ++count;
    if (token < 0 || static_cast<std::size_t>(token) >= logits.size())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("token {} of the history is outside the vocabulary of {}", token,
                              logits.size()));
    float& l = logits[token];
    l = l <= 0.0f ? l * o.repeat_penalty : l / o.repeat_penalty;
    l -= static_cast<float>(count) * o.frequency_penalty + o.presence_penalty;
  }
}

namespace {

// Most likely first; ties by token id, so the order is fully determined.
bool more_likely(const std::pair<float, int>& a, const std::pair<float, int>& b) {
  return a.first != b.first ? a.first > b.first : a.second < b.second;
}

// The most likely candidate's logit: the softmaxes below subtract it, so no exp overflows.
float best_logit(const std::vector<std::pair<float, int>>& candidates) {
  return std::min_element(candidates.begin(), candidates.end(), more_likely)->first;
}

}  // namespace

void Sampler::keep_top_k() {
  const std::size_t k = options_.top_k;
  if (k == 0 || k >= candidates_.size()) return;
  std::partial_sort(candidates_.begin(), candidates_.begin() + k, candidates_.end(), more_likely);
  candidates_.resize(k);
}

// The fewest most likely candidates whose probability (before temperature) reaches top_p.
void Sampler::keep_nucleus() {
  if (options_.top_p >= 1.0f) return;
  const float best = best_logit(candidates_);
  double sum = 0.0;
  for (const auto& [logit, token] : candidates_) sum += std::exp(static_cast<double>(logit - best));
  // A token below (1 - top_p) / (n - 1) can never be in the nucleus (as llama2.c observes), so
  // only the rest are sorted; below a nucleus of 1/n none reaches it, and all stay.
  const std::size_t n = candidates_.size();
  const double cutoff = n > 1 ? (1.0 - options_.top_p) / static_cast<double>(n - 1) : 0.0;
  const auto below_cutoff = [&](const std::pair<float, int>& c) {
    return std::exp(static_cast<double>(c.first - best)) / sum < cutoff;
  };
  if (!std::all_of(candidates_.begin(), candidates_.end(), below_cutoff))
    std::erase_if(candidates_, below_cutoff);
  std::sort(candidates_.begin(), candidates_.end(), more_likely);
  double mass = 0.0;
  for (std::size_t i = 0; i < candidates_.size(); ++i) {
    mass += std::exp(static_cast<double>(candidates_[i].first - best)) / sum;
    if (mass >= options_.top_p) {
      candidates_.resize(i + 1);
      return;
    }
  }
}

// The candidates at least min_p times as likely as the best: logit >= best + log(min_p).
void Sampler::keep_near_best() {
  if (options_.min_p <= 0.0f) return;
  const float best = best_logit(candidates_);
  const float threshold = best + std::log(options_.min_p);
  std::erase_if(candidates_, [&](const std::pair<float, int>& c) { return c.first < threshold; });
}

int Sampler::sample(std::span<float> logits, std::span<const int> history) {
  check_finite(logits);
  penalise(logits, history);
  if (options_.temperature == 0.0f) return first_largest(logits);

  candidates_.clear();
  for (std::size_t i = 0; i < logits.size(); ++i)
    if (logits[i] > -std::numeric_limits<float>::infinity())
      candidates_.emplace_back(logits[i], static_cast<int>(i));
  if (candidates_.empty())
    throw Error(ErrorCode::invalid_argument, "the penalties left no token with a finite logit");
  keep_top_k();
  keep_nucleus();
  keep_near_best();

  // Temperature last, then a draw from the softmax of what is left.
  const float best = best_logit(candidates_);
  double sum = 0.0;
  for (auto& [logit, token] : candidates_) {
    logit = std::exp((logit - best) / options_.temperature);
    sum += logit;
  }
  const double r = next_uniform() * sum;
  double cdf = 0.0;
  for (const auto& [weight, token] : candidates_) {
    cdf += weight;
    if (r < cdf) return token;
  }
  return candidates_.back().second;  // rounding at the very end of the cdf
}

}  // namespace engine
