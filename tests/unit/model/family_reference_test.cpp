// The Llama-family architectures (llama with Llama 3's RoPE factors, qwen2, phi3, gemma2) against
// llama.cpp's own logits for the interop files in models/families (made by llama.cpp's tools),
// and against the double-precision reference forward of family_reference.hpp through block
// prefill, token-by-token decode and left-padded batches, on every kernel ISA.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>

#include "engine/model/session.hpp"
#include "engine/ops/isa.hpp"
#include "family_file.hpp"
#include "family_reference.hpp"
#include "rerun_on_isa.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

using test::Rows;

const char* const kInteropFiles[] = {"llama32-style-f32", "tinyllama-style-f32",
                                     "smollm2-style-f32", "qwen25-style-f32",
                                     "phi3-style-f32",    "gemma2-style-f32"};

template <class Row>
double log_sum_exp(const Row& row) {
  const double max = *std::max_element(row.begin(), row.end());
  double sum = 0;
  for (double z : row) sum += std::exp(z - max);
  return max + std::log(sum);
}

nlohmann::json llamacpp_reference(const std::string& name) {
  std::ifstream in(test::require_model("families/reference/" + name + ".json"));
  return nlohmann::json::parse(in);
}

// The largest difference from llama.cpp's run of the file's prompt over every position's top-20
// and probe logits and log-sum-exp; `row(t)` gives the logits after token t; argmaxes must agree.
template <class RowOf>
double llamacpp_error(const nlohmann::json& ref, RowOf row_of, const std::string& where) {
  const nlohmann::json& c = ref["cases"][0];
  double worst = 0;
  for (std::size_t t = 0; t < c["tokens"].size(); ++t) {
    const auto row = row_of(t);
    const nlohmann::json& p = c["positions"][t];
    for (const char* list : {"top", "probe"})  // [id, logit] pairs
      for (const auto& entry : p[list])
        worst = std::max(worst, std::abs(row[entry[0].get<int>()] - entry[1].get<double>()));
    worst = std::max(worst, std::abs(log_sum_exp(row) - p["lse"].get<double>()));
    EXPECT_EQ(std::max_element(row.begin(), row.end()) - row.begin(), p["argmax"].get<int>())
        << where << " position " << t;
  }
  return worst;
}

// llama.cpp's Gemma 2 differs from the definition by its f16 GELU table (see RefModel::f16_gelu),
// by 3.8e-3 over 26 layers on this file: the engine computes the exact GELU (and matches the
// exact reference within 1e-4); GemmaGapToLlamaCppIsItsGeluTable puts the gap on the table.
double llamacpp_tolerance(const std::string& name) {
  return name.starts_with("gemma2") ? 1e-2 : 1e-4;
}

// The engine's logits for every position of llama.cpp's prompt, and its 16 greedy tokens.
void check_against_llamacpp(const std::string& name) {
  const std::string path = test::require_model("families/" + name + ".gguf");
  const nlohmann::json ref = llamacpp_reference(name);
  const auto model = Model::load(path);
  const std::size_t vocab = model->config().vocab_size;
  ASSERT_EQ(vocab, ref["n_vocab"].get<std::size_t>());
  const std::vector<int> tokens = ref["cases"][0]["tokens"].get<std::vector<int>>();
  Session session(model);
  const auto all = session.forward(tokens, /*all_logits=*/true);
  const double worst = llamacpp_error(
      ref, [&](std::size_t t) { return all.subspan(t * vocab, vocab); }, name);
  EXPECT_LE(worst, llamacpp_tolerance(name)) << name;
  std::printf("[ measured ] %s: max |logit - llama.cpp| = %.3g over %zu positions\n", name.c_str(),
              worst, tokens.size());

  const nlohmann::json& greedy = ref["greedy"];
  Session generation(model);
  std::vector<int> fed = greedy["prompt_tokens"].get<std::vector<int>>();
  std::span<const float> logits = generation.forward(fed);
  std::vector<int> got;
  for (std::size_t i = 0; i < greedy["tokens"].size(); ++i) {
    got.push_back(
        static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin()));
    logits = generation.forward(std::span(&got.back(), 1));
  }
  EXPECT_EQ(got, greedy["tokens"].get<std::vector<int>>()) << name;
}

// The interop file's prompt tokens (from llama.cpp's run, so no tokenizer is involved).
std::vector<int> interop_prompt(const std::string& name) {
  std::ifstream in(test::require_model("families/reference/" + name + ".json"));
  return nlohmann::json::parse(in)["cases"][0]["tokens"].get<std::vector<int>>();
}

// Run on the ISA this process chose (ENGINE_ISA); FamilyPerIsa runs them once per ISA.
TEST(FamilyOnThisIsa, InteropFilesMatchLlamaCpp) {
  for (const char* name : kInteropFiles) check_against_llamacpp(name);
}

TEST(FamilyOnThisIsa, InteropFilesMatchTheReference) {
  for (const char* name : kInteropFiles)
    test::check_against_reference(test::require_model(std::string("families/") + name + ".gguf"),
                                  interop_prompt(name));
}

// What the interop files leave out: qkv biases and fused matrices with random values of their
// own, Llama 3 frequency factors with linear scaling, and Gemma 2's window shorter than the
// prompt (3) with soft-caps low enough to bend the scores and logits.
TEST(FamilyOnThisIsa, WrittenFilesMatchTheReference) {
  const std::vector<int> prompt = {1, 17, 250, 3, 99, 42, 7, 180, 5, 64, 2};
  for (const char* arch : {"llama", "qwen2", "phi3", "gemma2"}) {
    test::FamilyFile file(arch);
    if (file.arch == "llama") {
      file.rope_freqs = true;
      file.write_head_width = true;
      file.strings["rope.scaling.type"] = "linear";
      file.floats["rope.scaling.factor"] = 4.0f;
    }
    const test::TempFamilyFile written(file);
    test::check_against_reference(written.path, prompt);
  }
}

// Phi-3's LongRoPE (as a 128k model's file has it): the short factors for a context up to the
// original one, the long ones past it, both with the attention factor on cos and sin, as
// llama.cpp chooses and applies them.
TEST(FamilyOnThisIsa, LongRopeFactorsFollowTheContext) {
  test::FamilyFile file("phi3");
  file.long_rope = true;
  file.ints["rope.scaling.original_context_length"] = 16;
  file.floats["rope.scaling.attn_factor"] = 1.2f;
  const test::TempFamilyFile written(file);
  const std::vector<int> prompt = {1, 17, 250, 3, 99, 42, 7, 180, 5, 64, 2};
  EXPECT_TRUE(Model::load(written.path)->uses_long_rope_factors());  // 64 > 16
  EXPECT_FALSE(Model::load(written.path, DType::f32, 16)->uses_long_rope_factors());
  test::check_against_reference(written.path, prompt);
  test::check_against_reference(written.path, prompt, 16);
  // The choice and the factor are visible in the logits, so a wrong one fails the checks above.
  const test::RefModel long_factors = test::read_reference_model(written.path);
  test::RefModel short_factors = test::read_reference_model(written.path, 16);
  const Rows with_long = test::reference_logits(long_factors, prompt);
  const Rows with_short = test::reference_logits(short_factors, prompt);
  short_factors.rope_attn_factor = 1;
  const Rows without_factor = test::reference_logits(short_factors, prompt);
  double long_short = 0, factor = 0;
  for (std::size_t t = 0; t < prompt.size(); ++t)
    for (std::size_t i = 0; i < with_long[t].size(); ++i) {
      long_short = std::max(long_short, std::abs(with_long[t][i] - with_short[t][i]));
      factor = std::max(factor, std::abs(with_short[t][i] - without_factor[t][i]));
    }
  EXPECT_GT(long_short, 1e-2);
  EXPECT_GT(factor, 1e-2);
}

// Why Gemma 2 stays 3.8e-3 from llama.cpp: llama.cpp's CPU GELU rounds its input to f16 and
// looks the result up in a table of f16 values (GGML_GELU_FP16); the model defines the exact
// GELU, which the engine computes. With the table the reference comes within 1e-3 of llama.cpp,
// and no closer: moving every table input by one float step (what another summation order does)
// moves the logits by more than the rest of the gap, because an input near an f16 rounding
// boundary then takes the next f16 step (5e-4 of the value) and 26 layers carry it. So the rest
// is the table's rounding noise, not a difference in the model (docs/design.md).
TEST(FamilyReference, GemmaGapToLlamaCppIsItsGeluTable) {
  const std::string name = "gemma2-style-f32";
  test::RefModel m = test::read_reference_model(test::require_model("families/" + name + ".gguf"));
  m.f16_gelu = true;
  const nlohmann::json ref = llamacpp_reference(name);
  const std::vector<int> tokens = ref["cases"][0]["tokens"].get<std::vector<int>>();
  const Rows rows = test::reference_logits(m, tokens);
  const double worst = llamacpp_error(
      ref, [&](std::size_t t) { return std::span<const double>(rows[t]); }, name);
  EXPECT_LE(worst, 1e-3);
  double moved = 0;
  for (const int steps : {1, -1}) {
    m.gelu_input_steps = steps;
    const Rows nudged = test::reference_logits(m, tokens);
    for (std::size_t t = 0; t < rows.size(); ++t)
      for (std::size_t i = 0; i < rows[t].size(); ++i)
        moved = std::max(moved, std::abs(nudged[t][i] - rows[t][i]));
  }
  EXPECT_GT(moved, worst);
  std::printf(
      "[ measured ] %s, reference with f16 GELU: max |logit - llama.cpp| = %.3g; moved by one "
      "float step of its inputs: %.3g\n",
      name.c_str(), worst, moved);
}

// A session's own sliding window (a ring cache) over Gemma 2's per-layer one: each layer sees the
// narrower of the two, through a prompt run in chunks and then decode steps.
TEST(FamilyOnThisIsa, SessionWindowNarrowsGemmaLayers) {
  const test::TempFamilyFile written(test::FamilyFile("gemma2"));
  test::RefModel m = test::read_reference_model(written.path);
  m.session_window = 5;
  std::vector<int> tokens = {1, 17, 250, 3, 99, 42, 7, 180, 5, 64, 2, 33, 8};
  const Rows want = test::reference_logits(m, tokens);
  const auto model = Model::load(written.path);
  const std::size_t vocab = model->config().vocab_size;
  Session session(model, SessionOptions{.window = 5, .block = 4});
  const auto prompt = session.forward(std::span(tokens).first(10), /*all_logits=*/true);
  double worst = 0;
  for (std::size_t t = 0; t < 10; ++t)
    test::expect_near(prompt.subspan(t * vocab, vocab), want[t], 1e-4,
                      "prompt row " + std::to_string(t), worst);
  for (std::size_t t = 10; t < tokens.size(); ++t)
    test::expect_near(session.forward(std::span(&tokens[t], 1)), want[t], 1e-4,
                      "decode step " + std::to_string(t), worst);
}

class FamilyPerIsa : public ::testing::TestWithParam<Isa> {};

// Each ISA in a process of its own (rerun_on_isa.hpp), with only the tests above.
TEST_P(FamilyPerIsa, LogitsEqualTheReferences) {
  const test::IsaRun run = test::rerun_on_isa(GetParam(), "FamilyOnThisIsa.*");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("[  PASSED  ] 5 tests."), std::string::npos) << run.output;
}

INSTANTIATE_TEST_SUITE_P(AllIsas, FamilyPerIsa, ::testing::ValuesIn(supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace engine
