// Usage errors say the valid range in words and exit 2; unexpected arguments are listed in
// order with the option probably meant; llama-cli's aliases and prompt options work.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

void expect_usage_error(const std::string& args, const std::string& message) {
  const CliResult r = run_cli(args);
  EXPECT_EQ(r.exit_code, 2) << args;
  EXPECT_EQ(r.err, "engine: error: " + message + "\n") << args;
}

TEST(Usage, RangeErrorsSayTheRangeInWords) {
  expect_usage_error("generate -n -2",
                     "--max-new-tokens: must be a whole number, -1 or more; got -2");
  expect_usage_error("generate --temperature -1",
                     "--temperature: must be a number, 0 or more; got -1");
  expect_usage_error("generate -t -1", "--threads: must be a whole number, 0 or more; got -1");
  expect_usage_error("generate --top-k -1", "--top-k: must be a whole number, 0 or more; got -1");
  expect_usage_error("generate --ctx 0", "--ctx: must be a whole number, 1 or more; got 0");
  expect_usage_error("generate --top-p 0", "--top-p: must be more than 0 and at most 1; got 0");
  expect_usage_error("bench -r 0", "--repetitions: must be a whole number, 1 or more; got 0");
}

TEST(Usage, UnexpectedArgumentsInOrderWithSuggestions) {
  expect_usage_error("tokenize Once upon a time",
                     "unexpected arguments: upon a time (quote a text with spaces)");
  expect_usage_error("generate --temprature 1",
                     "unexpected arguments: --temprature 1 (--temprature: did you mean "
                     "--temperature?)");
  expect_usage_error("generate --top_k 3",
                     "unexpected arguments: --top_k 3 (--top_k: did you mean --top-k?)");
}

std::string model_args() {
  return "generate -m " + quote(require_model("stories260K.bin")) + " -z " +
         quote(require_model("tok512.bin")) + " --log-level warn";
}

TEST(Usage, LlamaCliAliasesMeanTheSame) {
  const std::string args = model_args() + " -p 'Once upon a time' --seed 3";
  const CliResult long_names = run_cli(args + " --temperature 0.5 --ctx 64 -n 16");
  ASSERT_EQ(long_names.exit_code, 0) << long_names.err;
  EXPECT_EQ(run_cli(args + " --temp 0.5 -c 64 -n 16").out, long_names.out);
  EXPECT_EQ(run_cli(args + " --temp 0.5 --ctx-size 64 --n-predict 16").out, long_names.out);
}

// (-f - reads stdin; run_cli gives the command /dev/null there, so it is not tested here.)
TEST(Usage, PromptFromAFileOrStdinWithEscapes) {
  const fs::path file = fs::temp_directory_path() / ("prompt_" + std::to_string(::getpid()));
  std::ofstream(file, std::ios::binary) << "Once upon a time\nthere was";
  const std::string args = model_args() + " -n 8 --temperature 0";
  const CliResult direct = run_cli(args + " -p " + quote("Once upon a time\nthere was"));
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_EQ(run_cli(args + " -f " + quote(file.string())).out, direct.out);
  EXPECT_EQ(run_cli(args + " -e -p 'Once upon a time\\nthere was'").out, direct.out);
  // Without -e the backslash is text.
  EXPECT_NE(run_cli(args + " -p 'Once upon a time\\nthere was'").out, direct.out);
  // --no-display-prompt prints the generated text alone.
  const CliResult bare = run_cli(args + " --no-display-prompt -f " + quote(file.string()));
  EXPECT_EQ("Once upon a time\nthere was" + bare.out, direct.out);
  fs::remove(file);
}

// "Lily" ends at EOS after 223 greedy tokens; --ignore-eos makes it run to -n, the same text
// up to there.
TEST(Usage, IgnoreEosRunsToTheLength) {
  const std::string args = model_args() + " -p Lily -n 240 --temperature 0 --json";
  const nlohmann::json ended = parse_json(run_cli(args).out);
  ASSERT_EQ(ended["finish_reason"], "eos") << ended;
  const nlohmann::json ignored = parse_json(run_cli(args + " --ignore-eos").out);
  EXPECT_EQ(ignored["finish_reason"], "length");
  ASSERT_EQ(ignored["tokens"].size(), 240u);
  for (std::size_t i = 0; i < ended["tokens"].size(); ++i)
    EXPECT_EQ(ignored["tokens"][i], ended["tokens"][i]) << i;
}

// -n -1 runs until the end of generation or of the context.
TEST(Usage, MinusOneTokensRunsToTheEnd) {
  const CliResult r = run_cli(model_args() + " -p Once -n -1 --ctx 48 --temperature 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json line = parse_json(r.out);
  EXPECT_TRUE(line["finish_reason"] == "context" || line["finish_reason"] == "eos") << r.out;
  if (line["finish_reason"] == "context") {
    // BOS, "Once" and 46 generated tokens fill the 48 positions; the 47th is sampled from the
    // last one but has no position to be fed into.
    EXPECT_EQ(line["tokens"].size(), 47u);
  }
}

}  // namespace
}  // namespace engine::test
