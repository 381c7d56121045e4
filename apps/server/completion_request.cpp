#include "server/completion_request.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "server/api_error.hpp"

namespace engine::server {
namespace {

using nlohmann::json;

// The field, or nullptr when absent or null (clients send null for "unset").
const json* field(const json& body, const char* key) {
  const auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

std::optional<double> number_field(const json& body, const char* key, double lo, double hi) {
  const json* value = field(body, key);
  if (!value) return std::nullopt;
  if (!value->is_number()) throw invalid_field(key, fmt::format("'{}' must be a number", key));
  const double x = value->get<double>();
  if (!(x >= lo && x <= hi))
    throw invalid_field(key, fmt::format("'{}' must be in [{}, {}], got {}", key, lo, hi, x));
  return x;
}

std::optional<std::int64_t> integer_field(const json& body, const char* key, std::int64_t lo,
                                          std::int64_t hi) {
  const json* value = field(body, key);
  if (!value) return std::nullopt;
  if (!value->is_number_integer())
    throw invalid_field(key, fmt::format("'{}' must be an integer", key));
  if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(hi))
    throw invalid_field(key, fmt::format("'{}' must be at most {}", key, hi));
  const std::int64_t x = value->get<std::int64_t>();
  if (x < lo || x > hi)
    throw invalid_field(key, fmt::format("'{}' must be in [{}, {}], got {}", key, lo, hi, x));
  return x;
}

std::optional<bool> bool_field(const json& body, const char* key) {
  const json* value = field(body, key);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) throw invalid_field(key, fmt::format("'{}' must be a boolean", key));
  return value->get<bool>();
}

// Options this server does not implement: accepted at the value that turns them off, so
// clients that always send them work, and refused otherwise rather than silently ignored.
void check_unsupported(const json& body) {
  const auto must_be = [&](const char* key, const json& off, const char* what) {
    const json* value = field(body, key);
    if (value && *value != off)
      throw invalid_field(key, fmt::format("'{}' is not supported: {}", key, what));
  };
  must_be("n", 1, "one choice per prompt");
  must_be("best_of", 1, "one candidate per prompt");
  must_be("echo", false, "the prompt is not repeated");
  must_be("logit_bias", json::object(), "no logit bias");
  must_be("suffix", "", "no insertion");
  must_be("tools", json::array(), "no tool calls");
  must_be("functions", json::array(), "no function calls");
  if (const json* format = field(body, "response_format");
      format && !(format->is_object() && format->value("type", "") == "text"))
    throw invalid_field("response_format", "'response_format' is not supported: text only");
}

std::vector<int> token_ids(const json& value, const char* key) {
  std::vector<int> ids;
  for (const json& id : value) {
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
        id.get<std::int64_t>() > std::numeric_limits<int>::max())
      throw invalid_field(key, fmt::format("'{}' token ids must be non-negative integers", key));
    ids.push_back(id.get<int>());
  }
  return ids;
}

// OpenAI's prompt: a string, a list of strings, a list of token ids or a list of such lists.
std::vector<Prompt> read_prompts(const json& body) {
  const json* value = field(body, "prompt");
  if (!value) throw invalid_field("prompt", "'prompt' is required");
  const auto text_prompt = [](const json& v) { return Prompt{.text = v.get<std::string>()}; };
  if (value->is_string()) return {text_prompt(*value)};
  const char* shape =
      "'prompt' must be a string, a list of strings, a list of token ids or a list of lists of "
      "token ids";
  if (!value->is_array() || value->empty()) throw invalid_field("prompt", shape);
  if (value->front().is_number_integer())
    return {Prompt{.tokens = token_ids(*value, "prompt"), .is_tokens = true}};
  std::vector<Prompt> prompts;
  for (const json& item : *value) {
    if (item.is_string())
      prompts.push_back(text_prompt(item));
    else if (item.is_array() && !item.empty())
      prompts.push_back(Prompt{.tokens = token_ids(item, "prompt"), .is_tokens = true});
    else
      throw invalid_field("prompt", shape);
  }
  return prompts;
}

// A message's content: a string, or a list of parts of which only text parts are accepted.
std::string message_content(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return {};
  if (!content.is_array())
    throw invalid_field("messages", "a message's 'content' must be a string or a list of parts");
  std::string text;
  for (const json& part : content) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
        !part["text"].is_string())
      throw invalid_field("messages", "only text content parts are supported");
    text += part["text"].get<std::string>();
  }
  return text;
}

std::vector<Message> read_messages(const json& body) {
  const json* value = field(body, "messages");
  if (!value) throw invalid_field("messages", "'messages' is required");
  if (!value->is_array() || value->empty())
    throw invalid_field("messages", "'messages' must be a non-empty list");
  std::vector<Message> messages;
  for (const json& m : *value) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      throw invalid_field("messages", "every message must be an object with a string 'role'");
    messages.push_back({m["role"].get<std::string>(),
                        message_content(m.contains("content") ? m["content"] : json())});
  }
  return messages;
}

std::vector<std::string> read_stop(const json& body) {
  const json* value = field(body, "stop");
  if (!value) return {};
  if (value->is_string()) return {value->get<std::string>()};
  constexpr std::size_t kMaxStops = 16;
  if (!value->is_array() || value->size() > kMaxStops)
    throw invalid_field("stop", fmt::format("'stop' must be a string or a list of at most {} "
                                            "strings",
                                            kMaxStops));
  std::vector<std::string> stop;
  for (const json& s : *value) {
    if (!s.is_string()) throw invalid_field("stop", "'stop' entries must be strings");
    stop.push_back(s.get<std::string>());
  }
  return stop;
}

// Completions take logprobs as a count of alternatives; chat as a flag plus top_logprobs.
int read_top_logprobs(const json& body, Endpoint endpoint) {
  constexpr int kMaxAlternatives = 20;
  if (endpoint == Endpoint::completions)
    return static_cast<int>(integer_field(body, "logprobs", 0, kMaxAlternatives).value_or(-1));
  const auto top = integer_field(body, "top_logprobs", 0, kMaxAlternatives);
  if (!bool_field(body, "logprobs").value_or(false)) {
    if (top) throw invalid_field("top_logprobs", "'top_logprobs' needs 'logprobs': true");
    return -1;
  }
  return static_cast<int>(top.value_or(0));
}

}  // namespace

json parse_json_body(const std::string& body) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {  // a syntax error, or a number past double's range
    throw ApiError(400, "invalid_request_error", fmt::format("the body is not JSON: {}", e.what()));
  }
}

CompletionRequest parse_completion_request(const json& body, Endpoint endpoint) {
  if (!body.is_object())
    throw ApiError(400, "invalid_request_error", "the body must be a JSON object");
  check_unsupported(body);
  CompletionRequest r;
  r.endpoint = endpoint;
  if (const json* model = field(body, "model")) {
    if (!model->is_string()) throw invalid_field("model", "'model' must be a string");
    r.model = model->get<std::string>();
  }
  if (endpoint == Endpoint::completions)
    r.prompts = read_prompts(body);
  else
    r.messages = read_messages(body);
  // max_completion_tokens is the newer name; either may come.
  const auto max_completion = integer_field(body, "max_completion_tokens", 1, 1 << 30);
  const auto max_tokens = integer_field(body, "max_tokens", 1, 1 << 30);
  if (max_completion || max_tokens)
    r.max_tokens = static_cast<int>(max_completion ? *max_completion : *max_tokens);
  r.sampling.temperature = static_cast<float>(number_field(body, "temperature", 0, 2).value_or(1));
  r.sampling.top_p = static_cast<float>(number_field(body, "top_p", 0, 1).value_or(1));
  if (r.sampling.top_p <= 0.0f) throw invalid_field("top_p", "'top_p' must be in (0, 1]");
  r.sampling.top_k = static_cast<int>(integer_field(body, "top_k", 0, 1 << 30).value_or(0));
  r.sampling.min_p = static_cast<float>(number_field(body, "min_p", 0, 1).value_or(0));
  // OpenAI's penalties, over the prompt and the reply's last 64 tokens as llama.cpp's server.
  r.sampling.presence_penalty =
      static_cast<float>(number_field(body, "presence_penalty", -2, 2).value_or(0));
  r.sampling.frequency_penalty =
      static_cast<float>(number_field(body, "frequency_penalty", -2, 2).value_or(0));
  if (const auto seed = integer_field(body, "seed", std::numeric_limits<std::int64_t>::min(),
                                      std::numeric_limits<std::int64_t>::max()))
    r.seed = static_cast<std::uint64_t>(*seed);
  r.stop = read_stop(body);
  r.stream = bool_field(body, "stream").value_or(false);
  if (const json* options = field(body, "stream_options")) {
    if (!options->is_object())
      throw invalid_field("stream_options", "'stream_options' must be an object");
    r.include_usage = bool_field(*options, "include_usage").value_or(false);
  }
  r.top_logprobs = read_top_logprobs(body, endpoint);
  return r;
}

}  // namespace engine::server
