// Log-probabilities for the logprobs field: the model's own distribution (the softmax of the raw
// logits, before temperature or truncation), as OpenAI reports it.
#pragma once

#include <span>

#include "engine/tokenizer.hpp"
#include "server/job.hpp"

namespace engine::server {

/// `token`'s log-probability under `logits` (vocab_size floats) and the `top` most likely tokens
/// with theirs (ties: lower id first), each named by its bytes when it follows `prev_token`.
TokenLogprob token_logprob(std::span<const float> logits, int token, int top,
                           const Tokenizer& tokenizer, int prev_token);

}  // namespace engine::server
