// What the C API's opaque handles hold: the C++ objects behind engine_model, engine_tokenizer
// and engine_session.
#pragma once

#include <memory>
#include <string>

#include "engine/model/model.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"

struct engine_model {
  std::shared_ptr<const engine::Model> model;
};

struct engine_tokenizer {
  std::unique_ptr<engine::Tokenizer> tokenizer;
  std::string path;  // named in the error when it does not fit a model
};

struct engine_session {
  engine::Session session;  // holds the model: freeing the engine_model first is safe
};
