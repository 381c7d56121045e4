// Picks the next token from logits through llama.cpp's chain: repetition / frequency / presence
// penalties over the recent tokens, then top-k, top-p, min-p, temperature, and a draw (or the
// argmax at temperature 0).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace engine {

struct SamplingOptions {
  float temperature = 1.0f;     ///< 0 = greedy (argmax)
  int top_k = 0;                ///< keep the k most likely tokens; 0 = all
  float top_p = 0.9f;           ///< nucleus: smallest set with probability mass >= top_p; 1 = all
  float min_p = 0.0f;           ///< keep tokens at least min_p times as likely as the best; 0 = all
  float repeat_penalty = 1.0f;  ///< a recent token's logit: divided if > 0, else multiplied
  int repeat_last_n = 64;       ///< recent tokens the penalties look at; 0 = none, -1 = all
  float presence_penalty = 0.0f;   ///< subtracted from a recent token's logit
  float frequency_penalty = 0.0f;  ///< subtracted once per occurrence among the recent tokens
  std::uint64_t seed = 0;          ///< same seed, same choices (independent of thread count)
};

/// Throws engine::Error (invalid_argument) for a negative temperature or top_k, top_p outside
/// (0, 1], min_p outside [0, 1], a repeat penalty that is not a positive number, repeat_last_n
/// below -1, or a presence / frequency penalty that is not finite.
void validate(const SamplingOptions& options);

class Sampler {
 public:
  /// Validates `options` (throws engine::Error) and seeds the generator.
  explicit Sampler(const SamplingOptions& options);

  /// The next token; `logits` is used as scratch and overwritten. `history` is the sequence so
  /// far (prompt and generated tokens, oldest first), which the penalties look at; each id must
  /// be a token of `logits`. Total for any input: a token at -inf is never drawn; empty logits
  /// throw engine::Error (invalid_argument), and NaN, +inf or every token at -inf throw
  /// engine::Error (bad_format, "the logits are not finite ...").
  int sample(std::span<float> logits, std::span<const int> history = {});

 private:
  float next_uniform();  // in [0, 1)
  void penalise(std::span<float> logits, std::span<const int> history);
  void keep_top_k();
  void keep_nucleus();
  void keep_near_best();

  SamplingOptions options_;
  std::uint64_t state_;
  std::vector<std::pair<float, int>> candidates_;  // (logit, token), most likely first; reused
  std::vector<int> recent_;                        // the penalties' window, sorted; reused
};

}  // namespace engine
