// Autoregressive generation: prompt in, tokens out, streamed as they are produced.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/generation/sampler.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"

namespace engine {

struct GenerationOptions {
  int max_new_tokens = 256;
  SamplingOptions sampling;
};

enum class FinishReason {
  eos,      ///< the model produced BOS or EOS
  length,   ///< max_new_tokens reached
  context,  ///< the context window is full
  stopped,  ///< the callback asked to stop
};
std::string_view finish_reason_name(FinishReason reason);

struct GenerationResult {
  std::vector<int> prompt_tokens;  ///< BOS first
  std::vector<int> tokens;         ///< generated tokens (BOS/EOS not included)
  std::string text;                ///< decoded generated tokens
  FinishReason finish_reason = FinishReason::length;
  double prompt_seconds = 0;  ///< prefill time (the prompt as one block) plus the first sample
  double decode_seconds = 0;  ///< the remaining tokens
};

/// Called once per generated token with its id and decoded bytes; return false to stop.
using TokenCallback = std::function<bool(int token, std::string_view piece)>;

/// Encodes `prompt` (BOS first), runs it through `session` as one block, then samples up to
/// max_new_tokens tokens one step at a time. Stops at BOS/EOS, at max_new_tokens, or when the
/// context is full. Throws engine::Error (context_full) if the prompt alone does not fit.
GenerationResult generate(Session& session, const Tokenizer& tokenizer, std::string_view prompt,
                          const GenerationOptions& options, const TokenCallback& on_token = {});

/// Throws engine::Error (mismatch) unless the tokenizer's vocabulary has the model's size.
void check_tokenizer_fits(const Model& model, const Tokenizer& tokenizer,
                          const std::string& tokenizer_path);

}  // namespace engine
