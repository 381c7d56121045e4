// Picks the next token from logits: greedy, or temperature / top-k / top-p sampling.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace engine {

struct SamplingOptions {
  float temperature = 1.0f;  ///< 0 = greedy (argmax)
  int top_k = 0;             ///< keep the k most likely tokens; 0 = all
  float top_p = 0.9f;        ///< nucleus: smallest set with probability mass >= top_p; 1 = all
  std::uint64_t seed = 0;    ///< same seed, same choices (independent of thread count)
};

/// Throws engine::Error (invalid_argument) for a negative temperature or top_k, or top_p outside
/// (0, 1].
void validate(const SamplingOptions& options);

class Sampler {
 public:
  /// Validates `options` (throws engine::Error) and seeds the generator.
  explicit Sampler(const SamplingOptions& options);

  /// The next token; `logits` is used as scratch and overwritten. Total for any input: a token
  /// at -inf is never drawn; empty logits throw engine::Error (invalid_argument), and NaN, +inf
  /// or every token at -inf throw engine::Error (bad_format, "the logits are not finite ...").
  int sample(std::span<float> logits);

 private:
  float next_uniform();  // in [0, 1)

  SamplingOptions options_;
  std::uint64_t state_;
  std::vector<std::pair<float, int>> candidates_;  // (probability, token), reused
};

}  // namespace engine
