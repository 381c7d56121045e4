// The public log: a message an app writes with log_message reaches the installed sink when its
// level is enabled, and is dropped below the level, as the library's own messages are.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "engine/log.hpp"

namespace engine {
namespace {

TEST(Log, AppMessagesFollowTheLevelAndReachTheSink) {
  std::vector<std::pair<LogLevel, std::string>> lines;
  set_log_sink([&](LogLevel level, std::string_view text) { lines.emplace_back(level, text); });
  set_log_level(LogLevel::warn);
  EXPECT_FALSE(log_enabled(LogLevel::info));
  EXPECT_TRUE(log_enabled(LogLevel::warn));
  EXPECT_TRUE(log_enabled(LogLevel::error));
  EXPECT_FALSE(log_enabled(LogLevel::off));
  log_message(LogLevel::info, "dropped");
  log_message(LogLevel::warn, "kept");
  log_message(LogLevel::off, "never");
  set_log_level(LogLevel::info);
  set_log_sink({});
  EXPECT_EQ(lines, (std::vector<std::pair<LogLevel, std::string>>{{LogLevel::warn, "kept"}}));
}

}  // namespace
}  // namespace engine
