// The C API's chat: templates rendered from JSON messages, and engine::Chat's turns behind a C
// callback and plain structs.
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "c_api/conversions.hpp"
#include "c_api/handles.hpp"
#include "c_api/status.hpp"

using engine::c_api::guarded;
using engine::c_api::require;

namespace {

// A malloc'd copy of `text` for the caller to release with engine_string_free().
char* copy_out(const std::string& text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (!copy) throw std::bad_alloc();
  std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

}  // namespace

extern "C" {

void engine_string_free(char* text) {
  std::free(text);
}

engine_status engine_chat_template_render(const engine_chat_template* chat_template,
                                          const char* messages_json, int add_generation_prompt,
                                          char** out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    require(chat_template, "chat template");
    require(messages_json, "messages");
    *out = copy_out(
        chat_template->chat_template.render_json(messages_json, add_generation_prompt != 0));
  });
}

engine_status engine_chat_send(engine_chat* chat, const char* user_text,
                               const engine_generate_options* options,
                               engine_token_callback on_token, void* user,
                               engine_chat_result* result) {
  return guarded([&] {
    require(chat, "chat");
    require(user_text, "user text");
    engine::TokenCallback callback;
    if (on_token)
      callback = [&](int token, std::string_view piece) {
        return on_token(user, token, piece.data(), piece.size()) == 0;
      };
    const engine::ChatReply reply = chat->chat.send(
        user_text, engine::c_api::to_cpp(options ? *options : engine_generate_options_default()),
        callback);
    if (result)
      *result = {.prompt_tokens = reply.prompt_tokens,
                 .reused_tokens = reply.reused_tokens,
                 .prefilled_tokens = reply.prefilled_tokens,
                 .generated_tokens = static_cast<int>(reply.tokens.size()),
                 .dropped_messages = reply.dropped_messages,
                 .finish_reason = engine::c_api::to_c(reply.finish_reason)};
  });
}

engine_status engine_chat_reset(engine_chat* chat) {
  return guarded([&] {
    require(chat, "chat");
    chat->chat.reset();
  });
}

engine_status engine_chat_messages(const engine_chat* chat, char** out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    require(chat, "chat");
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    for (const engine::ChatMessage& m : chat->chat.messages())
      messages.push_back({{"role", m.role}, {"content", m.content}});
    *out = copy_out(messages.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  });
}

}  // extern "C"
