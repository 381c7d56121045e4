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
// exact reference within 1e-4). The reference with that table comes 5x closer to llama.cpp
// (GemmaIsCloserToLlamaCppWithItsGelu), which puts the difference on the table.
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

// The rest of the difference: GELU inputs computed in double fall on the other side of an f16
// rounding boundary than llama.cpp's float ones for a few values (half an f16 step, 5e-4 of the
// value, each): measured 7.3e-4.
TEST(FamilyReference, GemmaIsCloserToLlamaCppWithItsGelu) {
  const std::string name = "gemma2-style-f32";
  test::RefModel m = test::read_reference_model(test::require_model("families/" + name + ".gguf"));
  m.f16_gelu = true;
  const nlohmann::json ref = llamacpp_reference(name);
  const Rows rows = test::reference_logits(m, ref["cases"][0]["tokens"].get<std::vector<int>>());
  const double worst = llamacpp_error(
      ref, [&](std::size_t t) { return std::span<const double>(rows[t]); }, name);
  EXPECT_LE(worst, 1e-3);
  std::printf("[ measured ] %s, reference with f16 GELU: max |logit - llama.cpp| = %.3g\n",
              name.c_str(), worst);
}

class FamilyPerIsa : public ::testing::TestWithParam<Isa> {};

// active_isa() is decided once per process, so each ISA gets a process of its own: this test
// binary again, with ENGINE_ISA set and only the tests above.
TEST_P(FamilyPerIsa, LogitsEqualTheReferences) {
  const std::string command = "ENGINE_ISA=" + std::string(isa_name(GetParam())) + " " +
                              std::filesystem::read_symlink("/proc/self/exe").string() +
                              " --gtest_filter='FamilyOnThisIsa.*' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  EXPECT_EQ(::pclose(pipe), 0) << out;
  EXPECT_NE(out.find("[  PASSED  ] 3 tests."), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(AllIsas, FamilyPerIsa, ::testing::ValuesIn(supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace engine
