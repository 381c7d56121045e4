// info, tokenize and eval on the real model.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

TEST(Info, ShowsTheStories260KShape) {
  const CliResult r = run_cli("info --json -m " + quote(require_model("stories260K.bin")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json info = parse_json(r.out);
  EXPECT_EQ(info["dim"], 64);
  EXPECT_EQ(info["hidden_dim"], 172);
  EXPECT_EQ(info["n_layers"], 5);
  EXPECT_EQ(info["n_heads"], 8);
  EXPECT_EQ(info["n_kv_heads"], 4);
  EXPECT_EQ(info["vocab_size"], 512);
  EXPECT_EQ(info["context_length"], 512);
  EXPECT_EQ(info["shared_classifier"], true);
  EXPECT_TRUE(info["isa"].is_string());
  EXPECT_EQ(info["model"], require_model("stories260K.bin"));
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
  const nlohmann::json json = parse_json(read_file(out));
  std::filesystem::remove(out);
  // BOS first, then the prompt's tokens as tokenize gives them.
  const CliResult ids =
      run_cli("tokenize --bos -z " + quote(require_model("tok512.bin")) + " 'Once upon a time'");
  std::string expected;
  for (const auto& id : json["tokens"]) {
    if (!expected.empty()) expected += ' ';
    expected += id.dump();
  }
  EXPECT_EQ(expected + "\n", ids.out);
  ASSERT_EQ(json["logits"].size(), json["tokens"].size());
  for (const auto& row : json["logits"]) {
    ASSERT_EQ(row.size(), 512u);
    for (const auto& logit : row) ASSERT_TRUE(logit.is_number_float());
  }
}

}  // namespace
}  // namespace engine::test
