// What the routes serve once the model is loaded: the model, its tokenizer and its scheduler.
#pragma once

#include <memory>

#include "server/scheduler.hpp"
#include "server/server.hpp"

namespace engine::server {

struct Backend {
  ServedModel served;
  std::unique_ptr<Scheduler> scheduler;  // after `served`: it runs on the tokenizer
};

}  // namespace engine::server
