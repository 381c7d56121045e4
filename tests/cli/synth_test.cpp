// engine synth: the .gguf it writes loads and runs (generate, bench), and holds exactly the
// weights of the llama2.c checkpoint written with the same seed: equal logits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

class Synth : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("synth_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(Synth, GgufHoldsTheCheckpointWeights) {
  const std::string tok = quote(require_model("tok512.bin"));
  for (const std::string& args :
       {"-o " + quote(path("m.bin")), "-o " + quote(path("m.gguf")) + " -z " + tok}) {
    const CliResult r = run_cli("synth --preset 260K --seed 7 " + args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const std::string prompt = " -p 'Once upon a time' --log-level warn --logits-out ";
  ASSERT_EQ(run_cli("eval -m " + quote(path("m.bin")) + " -z " + tok + prompt + path("bin.json"))
                .exit_code,
            0);
  // The .gguf embeds tok512's vocabulary: no -z.
  ASSERT_EQ(run_cli("eval -m " + quote(path("m.gguf")) + prompt + path("gguf.json")).exit_code, 0);
  const std::string bin = read_file(path("bin.json")), gguf = read_file(path("gguf.json"));
  EXPECT_GT(bin.size(), 1000u);
  EXPECT_EQ(bin, gguf);
  // Another seed gives other weights.
  ASSERT_EQ(
      run_cli("synth --preset 260K --seed 8 -o " + quote(path("m.gguf")) + " -z " + tok).exit_code,
      0);
  ASSERT_EQ(run_cli("eval -m " + quote(path("m.gguf")) + prompt + path("gguf.json")).exit_code, 0);
  EXPECT_NE(read_file(path("gguf.json")), bin);
}

TEST_F(Synth, GgufWithItsOwnVocabularyRunsEverywhere) {
  const std::string model = quote(path("s.gguf"));
  ASSERT_EQ(run_cli("synth --preset 260K -o " + model).exit_code, 0);
  const CliResult info = run_cli("info --json -m " + model);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const nlohmann::json fields = parse_json(info.out);
  EXPECT_EQ(fields["architecture"], "llama");
  EXPECT_EQ(fields["tokenizer"], "llama");
  EXPECT_EQ(fields["vocab_size"], 512);
  EXPECT_EQ(fields["tensor_types"], "f32 (47)");
  const CliResult generated =
      run_cli("generate -m " + model + " -p 'Hello there' -n 8 --temperature 0 --log-level warn");
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  EXPECT_EQ(generated.out.rfind("Hello there", 0), 0u) << generated.out;
  const CliResult bench = run_cli("bench -m " + model + " -p 8 -n 8 -r 1 -t 1 --log-level warn");
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_NE(bench.out.find("s.gguf"), std::string::npos) << bench.out;
  // The synthetic vocabulary: "▁" (259), "▁a" (260) .. "▁z", "▁aa" .., and bytes for the rest.
  const CliResult ids = run_cli("tokenize -z " + model + " --pieces 'ab é'");
  ASSERT_EQ(ids.exit_code, 0) << ids.err;
  EXPECT_EQ(ids.out, "287\t\u2581ab\n259\t\u2581\n198\t<0xC3>\n172\t<0xA9>\n");
}

TEST_F(Synth, TokenizerErrors) {
  const CliResult bin = run_cli("synth --preset 260K -o " + quote(path("m.bin")) + " -z " +
                                quote(require_model("tok512.bin")));
  EXPECT_NE(bin.exit_code, 0);
  EXPECT_NE(bin.err.find("-z embeds a tokenizer in a .gguf output"), std::string::npos) << bin.err;
  const CliResult mismatch = run_cli("synth --preset 260K -o " + quote(path("m.gguf")) + " -z " +
                                     quote(require_model("tokenizer.bin")));
  EXPECT_NE(mismatch.exit_code, 0);
  EXPECT_NE(mismatch.err.find("has 32000 tokens but the 260K preset has 512"), std::string::npos)
      << mismatch.err;
}

}  // namespace
}  // namespace engine::test
