// Internal logging helpers: fmt-style formatting, routed through the public facade.
#pragma once

#include <fmt/format.h>

#include "engine/log.hpp"

namespace engine::log {

template <typename... Args>
void at(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (log_enabled(level)) log_message(level, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  at(LogLevel::debug, format, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  at(LogLevel::info, format, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  at(LogLevel::warn, format, std::forward<Args>(args)...);
}

}  // namespace engine::log
