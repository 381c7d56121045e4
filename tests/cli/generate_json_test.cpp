// engine generate --json is always valid JSON in UTF-8: a prompt's invalid bytes and a
// byte-level model's characters cut at the end of generation become U+FFFD.
#include <gtest/gtest.h>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

TEST(GenerateJson, APromptWithAnInvalidByteIsReplaced) {
  const CliResult r = run_cli("generate -m " + quote(require_model("stories260K.bin")) + " -z " +
                              quote(require_model("tok512.bin")) + " -p " + quote("\xFF hi") +
                              " -n 5 --seed 1 --json --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json line = parse_json(r.out);
  EXPECT_EQ(line["prompt"], kReplacement + " hi");
  EXPECT_EQ(line["tokens"].size(), 5u);
}

// GPT-2's byte-level tokens split multi-byte characters: the text is still valid JSON.
TEST(GenerateJson, ByteLevelTextIsValidUtf8) {
  const CliResult r = run_cli("generate -m " + quote(require_model("gpt2-tiny-random.gguf")) +
                              " -p Hello -n 120 --seed 1 -t 1 --json --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json line = parse_json(r.out);
  ASSERT_TRUE(line["text"].is_string()) << r.out;
  EXPECT_GT(line["tokens"].size(), 0u);
}

}  // namespace
}  // namespace engine::test
