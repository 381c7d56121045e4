// Creating and freeing the C API's handles, plus the process-wide settings.
#include "c_api/handles.hpp"

#include <optional>
#include <string>

#include "c_api/status.hpp"
#include "engine/error.hpp"
#include "engine/generation/generator.hpp"
#include "engine/log.hpp"
#include "engine/runtime.hpp"
#include "engine/version.hpp"

using engine::c_api::guarded;
using engine::c_api::require;

namespace {

// Stores make() in *out, checking `out` and the input `make` needs first; *out stays NULL on
// any failure, so a caller never sees a half-made handle.
template <class Handle, class Make>
engine_status create(Handle** out, const void* input, const char* input_name, Make make) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    require(input, input_name);
    *out = make();
  });
}

}  // namespace

extern "C" {

const char* engine_version(void) {
  return engine::version();
}

engine_status engine_model_load(const char* path, engine_model** out) {
  return create(out, path, "path", [&] { return new engine_model{engine::Model::load(path)}; });
}

void engine_model_free(engine_model* model) {
  delete model;
}

engine_status engine_tokenizer_load(const char* path, engine_tokenizer** out) {
  return create(out, path, "path", [&] {
    return new engine_tokenizer{engine::load_tokenizer(path), path};
  });
}

void engine_tokenizer_free(engine_tokenizer* tokenizer) {
  delete tokenizer;
}

engine_status engine_session_create(const engine_model* model, engine_session** out) {
  return create(out, model, "model",
                [&] { return new engine_session{engine::Session(model->model)}; });
}

engine_status engine_session_create_windowed(const engine_model* model, int window,
                                             engine_session** out) {
  return create(out, model, "model", [&] {
    if (window < 1)  // 0 would be the Session's "no window": say so rather than allow it
      throw engine::Error(engine::ErrorCode::invalid_argument,
                          "window must be at least 1, got " + std::to_string(window));
    return new engine_session{engine::Session(model->model, {.window = window})};
  });
}

void engine_session_free(engine_session* session) {
  delete session;
}

engine_status engine_chat_template_create(const char* source, const char* bos_token,
                                          const char* eos_token, engine_chat_template** out) {
  return create(out, source, "source", [&] {
    return new engine_chat_template{
        engine::ChatTemplate(source, bos_token ? bos_token : "", eos_token ? eos_token : "")};
  });
}

engine_status engine_chat_template_builtin(const char* name, const char* bos_token,
                                           const char* eos_token, engine_chat_template** out) {
  return create(out, name, "name", [&] {
    return new engine_chat_template{engine::ChatTemplate::builtin(name, bos_token ? bos_token : "",
                                                                  eos_token ? eos_token : "")};
  });
}

engine_status engine_chat_template_from_file(const char* path, engine_chat_template** out) {
  return create(out, path, "path", [&] {
    std::optional<engine::ChatTemplate> carried = engine::ChatTemplate::from_gguf(path);
    if (!carried)
      throw engine::Error(
          engine::ErrorCode::invalid_argument,
          std::string(path) + " carries no chat template (tokenizer.chat_template)");
    return new engine_chat_template{std::move(*carried)};
  });
}

void engine_chat_template_free(engine_chat_template* chat_template) {
  delete chat_template;
}

engine_status engine_chat_create(const engine_model* model, const engine_tokenizer* tokenizer,
                                 const engine_chat_template* chat_template, const char* system,
                                 int window, engine_chat** out) {
  return create(out, model, "model", [&] {
    require(tokenizer, "tokenizer");
    require(chat_template, "chat template");
    engine::check_tokenizer_fits(*model->model, *tokenizer->tokenizer, tokenizer->path);
    return new engine_chat(model->model, tokenizer->tokenizer, {.window = window},
                           chat_template->chat_template, system ? system : "");
  });
}

void engine_chat_free(engine_chat* chat) {
  delete chat;
}

engine_status engine_set_num_threads(int n) {
  return guarded([&] { engine::set_num_threads(n); });
}

// The C levels are engine::LogLevel's, in the same order.
static_assert(static_cast<int>(engine::LogLevel::trace) == ENGINE_LOG_TRACE &&
              static_cast<int>(engine::LogLevel::off) == ENGINE_LOG_OFF);

engine_status engine_set_log_level(int level) {
  return guarded([&] {
    if (level < ENGINE_LOG_TRACE || level > ENGINE_LOG_OFF)
      throw engine::Error(engine::ErrorCode::invalid_argument,
                          "log level " + std::to_string(level) + " is not an engine_log_level");
    engine::set_log_level(static_cast<engine::LogLevel>(level));
  });
}

}  // extern "C"
