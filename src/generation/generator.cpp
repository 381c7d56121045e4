#include "engine/generation/generator.hpp"

#include <fmt/format.h>

#include <chrono>

#include "engine/error.hpp"

namespace engine {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::eos:
      return "eos";
    case FinishReason::length:
      return "length";
    case FinishReason::context:
      return "context";
    case FinishReason::stopped:
      return "stopped";
  }
  return "?";
}

void check_tokenizer_fits(const Model& model, const Tokenizer& tokenizer,
                          const std::string& tokenizer_path) {
  if (tokenizer.vocab_size() != model.config().vocab_size)
    throw Error(ErrorCode::mismatch,
                fmt::format("tokenizer {} has {} tokens but model {} expects {}: wrong tokenizer "
                            "for this model",
                            tokenizer_path, tokenizer.vocab_size(), model.path(),
                            model.config().vocab_size));
}

GenerationResult generate(Session& session, const Tokenizer& tokenizer, std::string_view prompt,
                          const GenerationOptions& options, const TokenCallback& on_token) {
  if (options.max_new_tokens < 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("max new tokens must be >= 0, got {}", options.max_new_tokens));
  Sampler sampler(options.sampling);
  GenerationResult result;
  result.prompt_tokens = tokenizer.encode(prompt, /*add_bos=*/true, /*add_eos=*/false);
  const int room = session.context_length() - session.position();
  if (static_cast<int>(result.prompt_tokens.size()) > room)
    throw Error(ErrorCode::context_full,
                fmt::format("the prompt is {} tokens but the context has room for {}",
                            result.prompt_tokens.size(), room));
  if (options.max_new_tokens == 0) return result;

  auto start = std::chrono::steady_clock::now();
  const std::span<const float> first = session.forward(result.prompt_tokens);
  std::vector<float> logits(first.begin(), first.end());
  int prev = result.prompt_tokens.back();
  for (;;) {
    const int next = sampler.sample(logits);
    if (result.tokens.empty()) {
      result.prompt_seconds = seconds_since(start);
      start = std::chrono::steady_clock::now();
    }
    if (next == tokenizer.bos_id() || next == tokenizer.eos_id()) {
      result.finish_reason = FinishReason::eos;
      break;
    }
    result.tokens.push_back(next);
    const std::string piece = tokenizer.decode(prev, next);
    result.text += piece;
    prev = next;
    if (on_token && !on_token(next, piece)) {
      result.finish_reason = FinishReason::stopped;
      break;
    }
    if (static_cast<int>(result.tokens.size()) >= options.max_new_tokens) {
      result.finish_reason = FinishReason::length;
      break;
    }
    if (session.position() >= session.context_length()) {
      result.finish_reason = FinishReason::context;
      break;
    }
    const std::span<const float> step = session.forward(std::span<const int>(&next, 1));
    std::copy(step.begin(), step.end(), logits.begin());
  }
  result.decode_seconds = seconds_since(start);
  return result;
}

}  // namespace engine
