// What the C API tests pass to a generation: greedy options, and a callback that records the
// stream.
#pragma once

#include <string>
#include <vector>

#include "engine/engine.h"

namespace engine::test {

/// What the streaming callback saw; it asks to stop after `stop_after` tokens (0 = never).
struct Stream {
  std::string text;
  std::vector<int> tokens;
  int stop_after = 0;

  static int on_token(void* user, int token, const char* bytes, size_t len) {
    auto* self = static_cast<Stream*>(user);
    self->text.append(bytes, len);
    self->tokens.push_back(token);
    return self->stop_after > 0 && static_cast<int>(self->tokens.size()) >= self->stop_after;
  }
};

inline engine_generate_options greedy(int max_new_tokens) {
  engine_generate_options options = engine_generate_options_default();
  options.temperature = 0;
  options.max_new_tokens = max_new_tokens;
  return options;
}

}  // namespace engine::test
