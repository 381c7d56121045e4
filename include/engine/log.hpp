// Logging facade: libengine logs through here and never prints to stdout. By default messages
// go to stderr (via spdlog); an app can raise the level, silence it or install its own sink.
#pragma once

#include <functional>
#include <string_view>

namespace engine {

enum class LogLevel { trace, debug, info, warn, error, off };

/// Messages below `level` are dropped. Default: info.
void set_log_level(LogLevel level);
/// The current level.
LogLevel log_level();

/// Parses "trace|debug|info|warn|error|off"; throws engine::Error on anything else.
LogLevel parse_log_level(std::string_view name);

/// Replaces the stderr sink with `sink` (called with one formatted line, no trailing newline).
/// Passing an empty function restores the default stderr sink.
using LogSink = std::function<void(LogLevel, std::string_view)>;
void set_log_sink(LogSink sink);

/// Whether a message at `level` is written (not off, and at or above log_level()).
bool log_enabled(LogLevel level);
/// Writes one line (no trailing newline) at `level` to the sink, as the library's own messages
/// go; dropped when !log_enabled(level). Apps use it to log where the library does.
void log_message(LogLevel level, std::string_view message);

}  // namespace engine
