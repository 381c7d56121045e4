// One --stop rule everywhere: the stop string and what follows are never printed (streamed,
// batched or --json), `tokens` holds only tokens wholly printed, finish_reason is "stop".
#include <gtest/gtest.h>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

std::string base_args(std::size_t max_new_tokens = 60) {
  return "generate -m " + quote(require_model("stories260K.bin")) + " -z " +
         quote(require_model("tok512.bin")) + " --temperature 0 --log-level warn -n " +
         std::to_string(max_new_tokens);
}

const std::string kPrompt = "Once upon a time";

class GenerateStop : public ::testing::Test {
 protected:
  void SetUp() override {
    const CliResult full = run_cli(base_args() + " --json -p " + quote(kPrompt));
    ASSERT_EQ(full.exit_code, 0) << full.err;
    full_ = parse_json(full.out);
    text_ = full_["text"];
    // A stop string from the middle of the text, crossing token boundaries.
    ASSERT_GT(text_.size(), 40u) << text_;
    stop_ = text_.substr(20, 7);
    before_ = text_.substr(0, text_.find(stop_));
  }
  nlohmann::json full_;
  std::string text_, stop_, before_;
};

TEST_F(GenerateStop, StreamedOutputEndsBeforeTheStopString) {
  const CliResult r = run_cli(base_args() + " -p " + quote(kPrompt) + " --stop " + quote(stop_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kPrompt + before_ + "\n");
}

TEST_F(GenerateStop, JsonTextTokensAndFinishReason) {
  const CliResult r =
      run_cli(base_args() + " --json -p " + quote(kPrompt) + " --stop " + quote(stop_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json line = parse_json(r.out);
  EXPECT_EQ(line["text"], before_);
  EXPECT_EQ(line["finish_reason"], "stop");
  // tokens: a prefix of the unstopped run's, short of the ones that formed the stop string.
  const auto& tokens = line["tokens"];
  ASSERT_LT(tokens.size(), full_["tokens"].size());
  for (std::size_t i = 0; i < tokens.size(); ++i) EXPECT_EQ(tokens[i], full_["tokens"][i]);
  // Decoding those tokens gives no more than what was printed: the next token reaches into the
  // stop string.
  const CliResult shorter = run_cli(base_args(tokens.size() + 1) + " --json -p " + quote(kPrompt));
  const std::string one_more = parse_json(shorter.out)["text"];
  EXPECT_GT(one_more.size(), before_.size());
  EXPECT_EQ(one_more.find(stop_.substr(0, one_more.size() - before_.size())), before_.size());
}

TEST_F(GenerateStop, ABatchPrintsTheSame) {
  const CliResult r =
      run_cli(base_args() + " -p " + quote(kPrompt) + " -p 'Lily' --stop " + quote(stop_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n') + 1), kPrompt + before_ + "\n");
}

}  // namespace
}  // namespace engine::test
