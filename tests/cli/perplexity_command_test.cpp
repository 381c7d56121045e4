// engine perplexity end to end: its JSON, batched against unbatched, the KL-divergence base file
// and comparison, and one error line for each bad input.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

class PerplexityCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_);
    write(text_,
          "Once upon a time, there was a little girl named Lily. She liked to play in the "
          "park with her dog. One day, the sun was hot and the sky was blue.\n"
          "Tom saw a big red ball and he wanted to play with it. The end.\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  // `engine perplexity` on stories260K with `args`; its JSON, or null when it failed.
  nlohmann::json run(const std::string& args) {
    const CliResult r = run_cli("perplexity -m " + quote(require_model("stories260K.bin")) +
                                " -z " + quote(require_model("tok512.bin")) + " -f " +
                                quote(text_.string()) + " --json --log-level warn " + args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? parse_json(r.out) : nlohmann::json();
  }

  // The one error line of a failing run.
  std::string error_of(const std::string& args) {
    const CliResult r = run_cli("perplexity -m " + quote(require_model("stories260K.bin")) +
                                " -z " + quote(require_model("tok512.bin")) + " " + args);
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    return r.err;
  }

  const std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("engine_ppl_" + std::to_string(::getpid()));
  const std::filesystem::path text_ = dir_ / "text.txt";
};

TEST_F(PerplexityCommand, JsonReportsThePerplexityOfTheScoredTokens) {
  const nlohmann::json one = run("--ctx 32 --stride 10");
  ASSERT_TRUE(one.is_object());
  EXPECT_EQ(one["mode"], "windows");
  EXPECT_EQ(one["ctx"], 32);
  EXPECT_EQ(one["stride"], 10);
  const double ppl = one["perplexity"].get<double>();
  EXPECT_NEAR(ppl, std::exp(one["mean_nll"].get<double>()), 1e-9 * ppl);
  // A model trained on such stories predicts them far better than a uniform guess over its
  // 512 tokens.
  EXPECT_GT(ppl, 1.0);
  EXPECT_LT(ppl, 50.0);
  EXPECT_GT(one["perplexity_std_error"].get<double>(), 0.0);
  EXPECT_GT(one["sequences"].get<int>(), 1);
  // Windows overlap: context positions are run again but scored once.
  EXPECT_GT(one["tokens_evaluated"].get<int>(), one["tokens_scored"].get<int>());
  EXPECT_GT(one["tokens_per_second"].get<double>(), 0.0);

  const nlohmann::json batched = run("--ctx 32 --stride 10 --batch 4");
  EXPECT_EQ(batched["batch"], 4);
  EXPECT_EQ(batched["tokens_scored"], one["tokens_scored"]);
  EXPECT_NEAR(batched["mean_nll"].get<double>(), one["mean_nll"].get<double>(),
              1e-9 * one["mean_nll"].get<double>());
}

TEST_F(PerplexityCommand, LinesScoreEveryTokenAfterBos) {
  const nlohmann::json lines = run("--lines --batch 2");
  ASSERT_TRUE(lines.is_object());
  EXPECT_EQ(lines["mode"], "lines");
  EXPECT_EQ(lines["sequences"], 2);
  EXPECT_TRUE(lines["stride"].is_null());
  // Each position of a line but the last runs once and predicts the next token, which is scored.
  EXPECT_EQ(lines["tokens_evaluated"], lines["tokens_scored"]);
}

TEST_F(PerplexityCommand, KlDivergenceAgainstTheF32Base) {
  const std::string base = (dir_ / "base.logp").string();
  const nlohmann::json f32 = run("--ctx 48 --kl-divergence-base " + quote(base));
  ASSERT_TRUE(std::filesystem::exists(base));
  const nlohmann::json self = run("--ctx 48 --batch 3 --kl-divergence " + quote(base));
  ASSERT_TRUE(self.is_object());
  EXPECT_EQ(self["kl_divergence"]["tokens"], f32["tokens_scored"]);
  EXPECT_EQ(self["kl_divergence"]["mean"].get<double>(), 0.0);
  EXPECT_EQ(self["kl_divergence"]["top1_agreement"].get<double>(), 1.0);

  const nlohmann::json q8 = run("--ctx 48 --weight-type q8 --kl-divergence " + quote(base));
  ASSERT_TRUE(q8.is_object());
  EXPECT_EQ(q8["weight_type"], "q8_0");
  EXPECT_GT(q8["kl_divergence"]["mean"].get<double>(), 0.0);
  EXPECT_GE(q8["kl_divergence"]["p99"].get<double>(), q8["kl_divergence"]["mean"].get<double>());
  EXPECT_LE(q8["kl_divergence"]["top1_agreement"].get<double>(), 1.0);

  // Another window size scores other tokens: refused, not compared.
  const std::string err =
      error_of("-f " + quote(text_.string()) + " --ctx 40 --kl-divergence " + quote(base));
  EXPECT_NE(err.find(base), std::string::npos) << err;
}

TEST_F(PerplexityCommand, BadInputsGiveOneErrorLine) {
  const std::string text = quote(text_.string());
  write(dir_ / "empty.txt", "");
  EXPECT_NE(error_of("-f " + quote((dir_ / "empty.txt").string())).find("empty"),
            std::string::npos);
  write(dir_ / "one.txt", "a");
  EXPECT_NE(error_of("-f " + quote((dir_ / "one.txt").string())).find("two tokens"),
            std::string::npos);
  EXPECT_NE(error_of("-f " + text + " --ctx 100000").find("context"), std::string::npos);
  EXPECT_NE(error_of("-f " + quote((dir_ / "missing.txt").string())).find("missing.txt"),
            std::string::npos);
  error_of("-f " + text + " --stride 0");
  error_of("-f " + text + " --ctx 8 --stride 8");
  error_of("-f " + text + " --batch 0");
  error_of("-f " + text + " --lines --stride 4");
  error_of("-f " + text + " --weight-type q3");
  error_of("-f " + text + " --lines --ctx 8");          // a line longer than the context
  error_of("-f " + text + " --kl-divergence " + text);  // not a base file
}

}  // namespace
}  // namespace engine::test
