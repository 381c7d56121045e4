#include "util/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

#include "engine/error.hpp"

namespace engine {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::mutex g_sink_mutex;
LogSink g_sink;  // empty: default stderr logger

spdlog::logger& stderr_logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>(
        "engine", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    l->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    l->set_level(spdlog::level::trace);  // filtering happens in the facade
    return l;
  }();
  return *logger;
}

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return spdlog::level::trace;
    case LogLevel::debug:
      return spdlog::level::debug;
    case LogLevel::info:
      return spdlog::level::info;
    case LogLevel::warn:
      return spdlog::level::warn;
    case LogLevel::error:
      return spdlog::level::err;
    case LogLevel::off:
      break;
  }
  return spdlog::level::off;
}

}  // namespace

void set_log_level(LogLevel level) {
  g_level = level;
}
LogLevel log_level() {
  return g_level;
}

LogLevel parse_log_level(std::string_view name) {
  static constexpr std::pair<std::string_view, LogLevel> kNames[] = {
      {"trace", LogLevel::trace}, {"debug", LogLevel::debug}, {"info", LogLevel::info},
      {"warn", LogLevel::warn},   {"error", LogLevel::error}, {"off", LogLevel::off}};
  for (const auto& [text, level] : kNames)
    if (text == name) return level;
  throw Error(
      ErrorCode::invalid_argument,
      fmt::format("unknown log level '{}' (expected trace|debug|info|warn|error|off)", name));
}

void set_log_sink(LogSink sink) {
  std::lock_guard lock(g_sink_mutex);
  g_sink = std::move(sink);
}

bool log_enabled(LogLevel level) {
  return level != LogLevel::off && level >= g_level.load();
}

void log_message(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  std::lock_guard lock(g_sink_mutex);
  if (g_sink)
    g_sink(level, message);
  else
    stderr_logger().log(to_spdlog(level), "{}", message);
}

}  // namespace engine
