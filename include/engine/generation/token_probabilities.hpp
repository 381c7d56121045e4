// Log-probabilities of a logits row: what GenerationOptions::n_probs reports per generated token,
// for callers that sample themselves (the server's "logprobs").
#pragma once

#include <span>

#include "engine/generation/generator.hpp"

namespace engine {

/// `token`'s log-probability under `logits` (vocab_size floats, log-softmax in double) and the
/// `top` most likely tokens' (ties: lower id first).
TokenProbabilities token_probabilities(std::span<const float> logits, int token, int top);

}  // namespace engine
