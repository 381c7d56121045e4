// The body of a POST /v1/completions or /v1/chat/completions, read and checked against OpenAI's
// field names, types and ranges.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/generation/sampler.hpp"

namespace engine::server {

enum class Endpoint { completions, chat };

/// One prompt as the client gave it: text (encoded with BOS first, as `engine generate` does) or
/// token ids, used as they are.
struct Prompt {
  std::string text{};
  std::vector<int> tokens{};
  bool is_tokens = false;
};

/// One chat message as the client gave it (the content parts joined).
struct Message {
  std::string role;
  std::string content;
};

struct CompletionRequest {
  Endpoint endpoint = Endpoint::completions;
  std::string model;              ///< empty: the served model
  std::vector<Prompt> prompts;    ///< completions: one choice each
  std::vector<Message> messages;  ///< chat
  std::optional<int>
      max_tokens;  ///< absent: OpenAI's default (16 for completions, the context for chat)
  SamplingOptions sampling;  ///< OpenAI's defaults: temperature 1, top_p 1, no penalties
  std::optional<std::uint64_t> seed;
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;  ///< stream_options.include_usage: a last chunk with the usage
  int top_logprobs = -1;       ///< alternatives listed per token; -1: no logprobs at all
};

/// A request body parsed as JSON; throws ApiError (400) when it is not JSON.
nlohmann::json parse_json_body(const std::string& body);

/// Reads a parsed JSON body; throws ApiError (400) naming the field at fault. Unknown fields are
/// ignored (clients send many), but the ones this server does not implement are accepted only at
/// the value that means "off" (n = 1, echo = false, zero penalties, ...).
CompletionRequest parse_completion_request(const nlohmann::json& body, Endpoint endpoint);

}  // namespace engine::server
