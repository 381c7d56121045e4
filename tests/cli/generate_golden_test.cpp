// The golden test: greedy generation from the real stories260K model must print exactly what
// llama2.c's run.c prints. The reference is llama2.c's published test_all.py expectation for
// `run stories260K.bin -z tok512.bin -t 0.0 -n 200` (written here from that text, not from our
// own output), on every kernel ISA this CPU has.
#include <gtest/gtest.h>

#include "cli/run_cli.hpp"
#include "engine/ops/isa.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

const std::string kLlama2cReference200 =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
    "park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.\n"
    "Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. "
    "She said, \"I want to play with your ball, but I can't find it.\"\n"
    "Lily was sad and didn't know what to do. She said, \"I'm sorry, Lily. I didn't know what to "
    "do.\"\n"
    "Lily didn't want to help her mom, so she";

std::string model_args() {
  return "-m " + quote(require_model("stories260K.bin")) + " -z " +
         quote(require_model("tok512.bin"));
}

class GoldenPerIsa : public ::testing::TestWithParam<Isa> {};

TEST_P(GoldenPerIsa, Greedy200TokensEqualLlama2cReference) {
  const std::string env = "ENGINE_ISA=" + std::string(isa_name(GetParam()));
  const CliResult r =
      run_cli("generate " + model_args() + " -n 200 --temperature 0 --log-level warn", env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kLlama2cReference200 + "\n");
  EXPECT_EQ(r.err, "");
}

TEST_P(GoldenPerIsa, Greedy256TokensContinueTheReference) {
  const std::string env = "ENGINE_ISA=" + std::string(isa_name(GetParam()));
  const CliResult r =
      run_cli("generate " + model_args() + " -n 256 --temperature 0 --log-level warn", env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_GT(r.out.size(), kLlama2cReference200.size());
  EXPECT_EQ(r.out.substr(0, kLlama2cReference200.size()), kLlama2cReference200);
  EXPECT_EQ(r.out.back(), '\n');
}

INSTANTIATE_TEST_SUITE_P(AllIsas, GoldenPerIsa, ::testing::ValuesIn(supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

TEST(Generate, PromptIsEchoedThenContinued) {
  const CliResult r = run_cli("generate " + model_args() +
                              " -p 'Once upon a time' -n 20 --temperature 0 --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The reference story starts with the same words, so greedy decoding continues it.
  EXPECT_EQ(r.out.substr(0, 16), "Once upon a time");
  EXPECT_EQ(r.out.substr(0, 40), kLlama2cReference200.substr(0, 40));
  EXPECT_EQ(r.out.back(), '\n');
}

TEST(Generate, SameSeedSameTextOnAnyThreadCount) {
  const std::string cmd =
      "generate " + model_args() +
      " -p 'Lily' -n 60 --temperature 0.9 --top-p 0.9 --seed 42 --log-level warn";
  const CliResult one = run_cli(cmd + " -t 1");
  const CliResult two = run_cli(cmd + " -t 2");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(one.out, two.out);
  const CliResult other = run_cli("generate " + model_args() +
                                  " -p 'Lily' -n 60 --temperature 0.9 --seed 43 --log-level warn");
  EXPECT_NE(one.out, other.out);
}

TEST(Generate, DefaultModelNeedsNoPaths) {
  const CliResult r =
      run_cli("generate -p 'Once upon a time' -n 10 --temperature 0 --log-level warn",
              "ENGINE_MODELS_DIR=" + quote(model_path("")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 16), "Once upon a time");
}

}  // namespace
}  // namespace engine::test
