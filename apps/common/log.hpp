// fmt-style log lines for the CLI and the server, written through libengine's log
// (engine/log.hpp): to the level and sink the user chose, beside the library's own messages.
#pragma once

#include <fmt/format.h>

#include <utility>

#include "engine/log.hpp"

namespace engine::app {

template <typename... Args>
void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (log_enabled(level)) log_message(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace engine::app
