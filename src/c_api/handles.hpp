// What the C API's opaque handles hold: the C++ objects behind engine_model, engine_tokenizer,
// engine_session, engine_chat_template and engine_chat.
#pragma once

#include <memory>
#include <string>

#include "engine/chat/chat.hpp"
#include "engine/model/model.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"

struct engine_model {
  std::shared_ptr<const engine::Model> model;
};

struct engine_tokenizer {
  std::shared_ptr<const engine::Tokenizer> tokenizer;  // shared with the chats that use it
  std::string path;  // named in the error when it does not fit a model
};

struct engine_session {
  engine::Session session;  // holds the model: freeing the engine_model first is safe
};

struct engine_chat_template {
  engine::ChatTemplate chat_template;
};

// A conversation with a session of its own; it holds the model and the tokenizer, so freeing
// their handles first is safe.
struct engine_chat {
  engine_chat(std::shared_ptr<const engine::Model> model,
              std::shared_ptr<const engine::Tokenizer> chat_tokenizer,
              const engine::SessionOptions& options, engine::ChatTemplate chat_template,
              std::string system)
      : tokenizer(std::move(chat_tokenizer)),
        session(std::move(model), options),
        chat(session, *tokenizer, std::move(chat_template), std::move(system)) {}

  std::shared_ptr<const engine::Tokenizer> tokenizer;
  engine::Session session;
  engine::Chat chat;
};
