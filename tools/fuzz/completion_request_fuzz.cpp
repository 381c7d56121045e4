// libFuzzer target: what `engine serve` does with a POST body before any model runs. The body is
// parsed as JSON and read as a /v1/completions and a /v1/chat/completions request; a chat
// request's messages are then rendered with a built-in template, as the chat route does. Any
// body must parse or be refused with an ApiError whose JSON error object serializes; the
// template may refuse messages with engine::Error. Another exception stops the run like a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/chat/chat_template.hpp"
#include "engine/error.hpp"
#include "server/api_error.hpp"
#include "server/completion_request.hpp"
#include "server/response_json.hpp"

namespace {

using engine::server::Endpoint;

std::size_t read_request(const nlohmann::json& body, Endpoint endpoint) {
  static const engine::ChatTemplate chat_template =
      engine::ChatTemplate::builtin("chatml", "<s>", "</s>");
  try {
    const engine::server::CompletionRequest r =
        engine::server::parse_completion_request(body, endpoint);
    std::size_t sum = r.prompts.size() + r.stop.size();
    if (endpoint == Endpoint::chat) {
      std::vector<engine::ChatMessage> messages;
      for (const engine::server::Message& m : r.messages) messages.push_back({m.role, m.content});
      sum += chat_template.render(messages, true).size();
    }
    return sum;
  } catch (const engine::server::ApiError& e) {
    return engine::server::dump(engine::server::error_body(e)).size();
  } catch (const engine::Error&) {
    return 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  std::size_t sum = 0;
  try {
    const nlohmann::json json = engine::server::parse_json_body(body);
    sum += read_request(json, Endpoint::completions) + read_request(json, Endpoint::chat);
  } catch (const engine::server::ApiError& e) {
    sum += engine::server::dump(engine::server::error_body(e)).size();
  }
  volatile std::size_t sink = sum;
  (void)sink;
  return 0;
}
