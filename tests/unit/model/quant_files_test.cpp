// GGUF files written by llama.cpp's own quantiser (models/quant: every mix of Q2_K ... Q8_0 on
// one small llama) load, and their logits are the logits of their dequantised weights:
// reference/<name>.json holds llama.cpp's run on a copy with every tensor dequantised to f32
// (exact_logits) and its run on the quantised file (llamacpp_logits, activations rounded to 8
// bits inside its products). The engine keeps f32 activations for these types (Q8_0 excepted: it
// quantises x per 32 values, as llama.cpp does).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/model/model.hpp"
#include "engine/model/session.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

struct Reference {
  std::vector<int> tokens;
  std::vector<std::vector<float>> exact, llamacpp;  // (tokens, vocab)
};

Reference read_reference(const std::string& name) {
  std::ifstream in(test::require_model("quant/reference/" + name + ".json"));
  const nlohmann::json j = nlohmann::json::parse(in);
  return {j.at("tokens").get<std::vector<int>>(),
          j.at("exact_logits").get<std::vector<std::vector<float>>>(),
          j.at("llamacpp_logits").get<std::vector<std::vector<float>>>()};
}

float max_abs_diff(const std::vector<std::vector<float>>& want, std::span<const float> got) {
  float diff = 0;
  const std::size_t vocab = want.front().size();
  EXPECT_EQ(got.size(), want.size() * vocab);
  for (std::size_t t = 0; t < want.size(); ++t)
    for (std::size_t v = 0; v < vocab; ++v)
      diff = std::max(diff, std::abs(got[t * vocab + v] - want[t][v]));
  return diff;
}

class QuantFiles : public ::testing::TestWithParam<const char*> {};

TEST_P(QuantFiles, LogitsAreThoseOfTheDequantisedWeights) {
  const std::string name = std::string("storyvocab256-lq-") + GetParam();
  const Reference ref = read_reference(name);
  const auto model = Model::load(test::require_model("quant/" + name + ".gguf"));
  Session session(model);
  const auto logits = session.forward(ref.tokens, /*all_logits=*/true);
  const float exact = max_abs_diff(ref.exact, logits);
  const float llamacpp = [&] {
    std::vector<float> flat;
    for (const auto& row : ref.llamacpp) flat.insert(flat.end(), row.begin(), row.end());
    return max_abs_diff(ref.exact, flat);
  }();
  RecordProperty("max_abs_error_vs_exact", std::to_string(exact));
  RecordProperty("llamacpp_max_abs_error_vs_exact", std::to_string(llamacpp));
  if (std::string(GetParam()) == "q8_0")
    EXPECT_LE(exact, llamacpp) << "activations quantised: at least as close as llama.cpp";
  else
    EXPECT_LE(exact, 1e-4f) << "f32 activations: the dequantised weights' logits";
  // Prompt blocks (the block path) and one token at a time (the decode kernels) agree.
  Session stepwise(model);
  std::vector<float> last;
  for (int token : ref.tokens) {
    const auto step = stepwise.forward(std::span<const int>(&token, 1));
    last.assign(step.begin(), step.end());
  }
  const std::size_t vocab = ref.exact.front().size();
  float step_error = 0;
  for (std::size_t v = 0; v < vocab; ++v)
    step_error = std::max(step_error, std::abs(last[v] - ref.exact.back()[v]));
  EXPECT_LE(step_error, std::string(GetParam()) == "q8_0" ? llamacpp : 1e-4f);
}

INSTANTIATE_TEST_SUITE_P(LlamaCppMixes, QuantFiles,
                         ::testing::Values("q2_k", "q3_k_m", "q4_0", "q4_1", "q4_k_m", "q5_0",
                                           "q5_1", "q5_k_m", "q6_k", "q8_0"));

TEST(QuantFiles, MixesLoadInTheTypesTheFileHas) {
  const auto q4_k_m = Model::load(test::require_model("quant/storyvocab256-lq-q4_k_m.gguf"));
  EXPECT_EQ(q4_k_m->weights().layers[0].wq.dtype, DType::q4_k);
  EXPECT_EQ(q4_k_m->weights().wcls.dtype, DType::q6_k);
  const auto q2_k = Model::load(test::require_model("quant/storyvocab256-lq-q2_k.gguf"));
  EXPECT_EQ(q2_k->weights().token_embedding.dtype, DType::q2_k);
}

}  // namespace
}  // namespace engine
