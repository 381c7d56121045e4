#include "server/response_json.hpp"

#include <fmt/format.h>

#include <chrono>
#include <random>

namespace engine::server {
namespace {

using nlohmann::json;

json usage(int prompt_tokens, int completion_tokens) {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

json bytes_of(const std::string& piece) {
  json bytes = json::array();
  for (const char c : piece) bytes.push_back(static_cast<unsigned char>(c));
  return bytes;
}

// Completions' logprobs: parallel lists of tokens, their logprobs, alternatives and offsets.
json completion_logprobs(std::span<const TokenLogprob> tokens, std::size_t text_offset) {
  json pieces = json::array(), logprobs = json::array(), top = json::array(),
       offsets = json::array();
  for (const TokenLogprob& t : tokens) {
    pieces.push_back(t.piece);
    logprobs.push_back(t.logprob);
    json alternatives = json::object();
    for (const auto& [piece, logprob] : t.top) alternatives[piece] = logprob;
    top.push_back(alternatives);
    offsets.push_back(text_offset);
    text_offset += t.piece.size();
  }
  return {{"tokens", pieces},
          {"token_logprobs", logprobs},
          {"top_logprobs", top},
          {"text_offset", offsets}};
}

// Chat's logprobs: one entry per token, each with its bytes and alternatives.
json chat_logprobs(std::span<const TokenLogprob> tokens) {
  json content = json::array();
  for (const TokenLogprob& t : tokens) {
    json top = json::array();
    for (const auto& [piece, logprob] : t.top)
      top.push_back({{"token", piece}, {"logprob", logprob}, {"bytes", bytes_of(piece)}});
    content.push_back({{"token", t.piece},
                       {"logprob", t.logprob},
                       {"bytes", bytes_of(t.piece)},
                       {"top_logprobs", top}});
  }
  return {{"content", content}, {"refusal", nullptr}};
}

json logprobs_of(Endpoint endpoint, std::span<const TokenLogprob> tokens, bool with_logprobs,
                 std::size_t text_offset) {
  if (!with_logprobs) return nullptr;
  return endpoint == Endpoint::chat ? chat_logprobs(tokens)
                                    : completion_logprobs(tokens, text_offset);
}

json finish_of(const JobUpdate& update) {
  return update.finish_reason ? json(*update.finish_reason) : json(nullptr);
}

json envelope(const ResponseMeta& meta, bool chunk) {
  const bool chat = meta.endpoint == Endpoint::chat;
  return {
      {"id", meta.id},
      {"object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion"},
      {"created", meta.created},
      {"model", meta.model}};
}

}  // namespace

ResponseMeta make_response_meta(Endpoint endpoint, std::string model) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return {
      .endpoint = endpoint,
      .id = fmt::format("{}-{:016x}", endpoint == Endpoint::chat ? "chatcmpl" : "cmpl", random()),
      .created = std::chrono::duration_cast<std::chrono::seconds>(now).count(),
      .model = std::move(model)};
}

void accumulate(JobUpdate& total, JobUpdate&& update) {
  total.index = update.index;
  total.text += update.text;
  for (TokenLogprob& t : update.logprobs) total.logprobs.push_back(std::move(t));
  if (update.finish_reason) {
    total.finish_reason = std::move(update.finish_reason);
    total.prompt_tokens = update.prompt_tokens;
    total.completion_tokens = update.completion_tokens;
  }
}

json full_response(const ResponseMeta& meta, std::span<const JobUpdate> choices,
                   bool with_logprobs) {
  json out = envelope(meta, false), list = json::array();
  int prompt_tokens = 0, completion_tokens = 0;
  for (const JobUpdate& c : choices) {
    json choice = {{"index", c.index},
                   {"logprobs", logprobs_of(meta.endpoint, c.logprobs, with_logprobs, 0)},
                   {"finish_reason", finish_of(c)}};
    if (meta.endpoint == Endpoint::chat)
      choice["message"] = {{"role", "assistant"}, {"content", c.text}};
    else
      choice["text"] = c.text;
    list.push_back(std::move(choice));
    prompt_tokens += c.prompt_tokens;
    completion_tokens += c.completion_tokens;
  }
  out["choices"] = std::move(list);
  out["usage"] = usage(prompt_tokens, completion_tokens);
  return out;
}

json stream_chunk(const ResponseMeta& meta, const JobUpdate& update, bool with_logprobs,
                  std::size_t text_offset, bool include_usage) {
  json out = envelope(meta, true);
  json choice = {
      {"index", update.index},
      {"logprobs", logprobs_of(meta.endpoint, update.logprobs, with_logprobs, text_offset)},
      {"finish_reason", finish_of(update)}};
  if (meta.endpoint == Endpoint::chat)
    choice["delta"] = update.text.empty() && update.finish_reason ? json::object()
                                                                  : json{{"content", update.text}};
  else
    choice["text"] = update.text;
  out["choices"] = json::array({std::move(choice)});
  if (include_usage) out["usage"] = nullptr;
  return out;
}

json role_chunk(const ResponseMeta& meta, int index, bool include_usage) {
  json out = envelope(meta, true);
  out["choices"] = json::array({{{"index", index},
                                 {"delta", {{"role", "assistant"}, {"content", ""}}},
                                 {"logprobs", nullptr},
                                 {"finish_reason", nullptr}}});
  if (include_usage) out["usage"] = nullptr;
  return out;
}

json usage_chunk(const ResponseMeta& meta, int prompt_tokens, int completion_tokens) {
  json out = envelope(meta, true);
  out["choices"] = json::array();
  out["usage"] = usage(prompt_tokens, completion_tokens);
  return out;
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace engine::server
