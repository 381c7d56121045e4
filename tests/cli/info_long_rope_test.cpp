// engine info on a Phi-3.5 file: which LongRoPE factors a run uses. Phi-3.5 stores two sets,
// rope_factors_long and rope_factors_short; llama.cpp (and Model::load) takes the long ones when
// the context is past rope.scaling.original_context_length, the short ones otherwise.
#include <gtest/gtest.h>

#include <string>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "cli/scratch_dir.hpp"

namespace engine::test {
namespace {

// `synth --arch phi3.5` writes a context of 2048 and, as Phi-3.5 does (131072 / 4096), an
// original context 32 times shorter.
constexpr int kContext = 2048;
constexpr int kOriginal = 64;

class InfoLongRope : public ::testing::Test {
 protected:
  void SetUp() override {
    const CliResult r = run_cli("synth --arch phi3.5 -o " + quote(model_));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  nlohmann::json info(const std::string& args) const {
    const CliResult r = run_cli("info --json -m " + quote(model_) + args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parse_json(r.out);
  }

  ScratchDir dir_{"info_long_rope"};
  std::string model_ = (dir_.path() / "phi35.gguf").string();
};

TEST_F(InfoLongRope, TheFileContextRunsTheLongFactors) {
  const nlohmann::json fields = info("");
  EXPECT_EQ(fields["context_length"], kContext);
  EXPECT_EQ(fields["rope_factors"], "long (context 2048 > original 64)");
}

TEST_F(InfoLongRope, AContextUpToTheOriginalRunsTheShortFactors) {
  EXPECT_EQ(info(" -c " + std::to_string(kOriginal))["rope_factors"],
            "short (context 64 <= original 64)");
  EXPECT_EQ(info(" -c " + std::to_string(kOriginal + 1))["rope_factors"],
            "long (context 65 > original 64)");
}

TEST_F(InfoLongRope, TextOutputNamesTheFactors) {
  const CliResult r = run_cli("info -m " + quote(model_) + " --ctx 8");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nrope_factors       short (context 8 <= original 64)\n"),
            std::string::npos)
      << r.out;
}

TEST_F(InfoLongRope, FilesWithoutLongRopeSayNothing) {
  const std::string phi3 = (dir_.path() / "phi3.gguf").string();
  ASSERT_EQ(run_cli("synth --arch phi3 -o " + quote(phi3)).exit_code, 0);
  const CliResult r = run_cli("info --json -m " + quote(phi3));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(parse_json(r.out).contains("rope_factors"));
}

}  // namespace
}  // namespace engine::test
