// info, tokenize and eval on the real model.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

TEST(Info, ShowsTheStories260KShape) {
  const CliResult r = run_cli("info --json -m " + quote(require_model("stories260K.bin")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* field :
       {"\"dim\": 64", "\"hidden_dim\": 172", "\"n_layers\": 5", "\"n_heads\": 8",
        "\"n_kv_heads\": 4", "\"vocab_size\": 512", "\"context_length\": 512", "\"isa\": \""})
    EXPECT_NE(r.out.find(field), std::string::npos) << field << " in " << r.out;
}

TEST(Tokenize, IdsOnOneLine) {
  const CliResult r =
      run_cli("tokenize --bos -z " + quote(require_model("tok512.bin")) + " 'Once upon a time'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.rfind("1 ", 0), 0u) << r.out;  // BOS first
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
}

TEST(Eval, OneLogitsRowPerPosition) {
  const auto out = std::filesystem::temp_directory_path() / "engine_eval_test.json";
  const CliResult r = run_cli("eval -m " + quote(require_model("stories260K.bin")) + " -z " +
                              quote(require_model("tok512.bin")) + " -p 'Once upon a time'" +
                              " --logits-out " + quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string json = read_file(out);
  std::filesystem::remove(out);
  ASSERT_EQ(json.rfind("{\"tokens\":[1,", 0), 0u) << json.substr(0, 80);
  const auto tokens_end = json.find(']');
  const std::string tokens = json.substr(11, tokens_end - 11);
  const auto n_tokens = std::count(tokens.begin(), tokens.end(), ',') + 1;
  // Rows: one '[' per row after "logits":[.
  const auto logits = json.substr(json.find("\"logits\":[") + 10);
  EXPECT_EQ(std::count(logits.begin(), logits.end(), '['), n_tokens);
  EXPECT_EQ(std::count(logits.begin(), logits.end(), ','), n_tokens * 512 - 1);
}

}  // namespace
}  // namespace engine::test
