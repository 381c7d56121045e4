#include "server/logprobs.hpp"

#include "engine/generation/token_probabilities.hpp"

namespace engine::server {

TokenLogprob token_logprob(std::span<const float> logits, int token, int top,
                           const Tokenizer& tokenizer, int prev_token) {
  const TokenProbabilities p = token_probabilities(logits, token, top);
  TokenLogprob result{tokenizer.decode(prev_token, token), p.logprob, {}};
  for (const auto& [id, logprob] : p.top)
    result.top.emplace_back(tokenizer.decode(prev_token, id), logprob);
  return result;
}

}  // namespace engine::server
