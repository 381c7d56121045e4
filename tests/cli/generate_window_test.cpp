// engine generate --window W: sliding-window attention with a ring KV cache, so generation
// runs past the context length; a window at least the context is plain causal; a bad window
// is one error line.
#include <gtest/gtest.h>

#include <algorithm>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

std::string base_args() {
  return "generate -m " + quote(require_model("stories260K.bin")) + " -z " +
         quote(require_model("tok512.bin")) + " --log-level warn";
}

// The number of ids in the "tokens" array of a --json line.
int json_token_count(const std::string& line) {
  return static_cast<int>(parse_json(line)["tokens"].size());
}

TEST(GenerateWindow, RunsPastTheContextLength) {
  const CliResult r = run_cli(base_args() + " --ctx 64 --window 16 -n 300 --seed 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_json(r.out)["finish_reason"], "length") << r.out;
  EXPECT_EQ(json_token_count(r.out), 300) << r.out;
  // Without the window the same run stops when the 64 positions are full.
  const CliResult plain = run_cli(base_args() + " --ctx 64 -n 300 --seed 4 --json");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(parse_json(plain.out)["finish_reason"], "context") << plain.out;
  EXPECT_EQ(json_token_count(plain.out), 64);
}

TEST(GenerateWindow, WindowAtLeastTheContextIsPlainCausal) {
  const CliResult plain = run_cli(base_args() + " -n 200 --temperature 0");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  for (const char* window : {"512", "4096"}) {
    const CliResult r = run_cli(base_args() + " -n 200 --temperature 0 --window " + window);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, plain.out) << window;
    EXPECT_NE(r.err.find("covers the whole context of 512: plain causal"), std::string::npos)
        << r.err;
  }
}

TEST(GenerateWindow, PromptLongerThanTheContextFitsAWindow) {
  std::string prompt;
  for (int i = 0; i < 100; ++i) prompt += "Lily ";
  const CliResult r =
      run_cli(base_args() + " --ctx 64 --window 32 -n 10 --json -p " + quote(prompt));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(json_token_count(r.out), 0) << r.out;
}

TEST(GenerateWindow, InvalidWindowIsOneErrorLine) {
  for (const char* window : {"0", "-3", "wide", "8 --attention-png heatmaps"}) {
    const CliResult r = run_cli(base_args() + " --window " + window);
    EXPECT_NE(r.exit_code, 0) << window;
    EXPECT_LT(r.exit_code, 128) << window;
    EXPECT_EQ(r.out, "") << window;
    EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("window"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace engine::test
