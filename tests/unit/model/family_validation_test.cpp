// Malformed or unsupported hyper-parameters of the Llama-family architectures give one clear
// engine::Error naming the key (issue 25, defect 3: a norm epsilon of +inf used to load and
// print garbage): epsilons, RoPE bases, scaling, attention and frequency factors, soft-caps and the
// query scale must be finite and positive; unknown architectures and variants are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/error.hpp"
#include "engine/model/model.hpp"
#include "expect_engine_error.hpp"
#include "family_file.hpp"

namespace engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

void expect_load_error(const test::FamilyFile& file, ErrorCode code,
                       std::initializer_list<std::string> needles) {
  const test::TempFamilyFile written(file);
  test::expect_engine_error([&] { Model::load(written.path); }, code, needles);
}

// The file with one float key set to `value`.
test::FamilyFile with_float(const std::string& arch, const std::string& key, float value) {
  test::FamilyFile file(arch);
  file.floats[key] = value;
  return file;
}

TEST(FamilyValidation, NormEpsilonMustBeFiniteAndPositive) {
  for (const char* arch : {"llama", "qwen2", "phi3", "gemma2"})
    for (const float eps : {kInf, -kInf, kNan, 0.0f, -1.0f}) {
      SCOPED_TRACE(std::string(arch) + " eps " + std::to_string(eps));
      expect_load_error(
          with_float(arch, "attention.layer_norm_rms_epsilon", eps), ErrorCode::bad_format,
          {std::string(arch) + ".attention.layer_norm_rms_epsilon", "must be finite and positive"});
    }
}

TEST(FamilyValidation, RopeBaseAndScalingMustBeFiniteAndPositive) {
  for (const float bad : {kInf, kNan, 0.0f, -2.0f}) {
    expect_load_error(with_float("qwen2", "rope.freq_base", bad), ErrorCode::bad_format,
                      {"RoPE base qwen2.rope.freq_base", "must be finite and positive"});
    test::FamilyFile scaled("llama");
    scaled.strings["rope.scaling.type"] = "linear";
    scaled.floats["rope.scaling.factor"] = bad;
    expect_load_error(scaled, ErrorCode::bad_format,
                      {"llama.rope.scaling.factor", "must be finite and positive"});
    test::FamilyFile factors("llama");
    factors.rope_freqs = true;
    factors.rope_factors = {1, 2, 4, bad, 8, 8, 8, 8};
    expect_load_error(factors, ErrorCode::bad_format,
                      {"rope_freqs.weight[3]", "must be finite and positive"});
    expect_load_error(
        with_float("phi3", "rope.scaling.attn_factor", bad), ErrorCode::bad_format,
        {"RoPE attention factor phi3.rope.scaling.attn_factor", "must be finite and positive"});
  }
  // LongRoPE needs both factor tensors, with factors > 0 (extra tensors are zeros).
  test::FamilyFile short_only("phi3");
  short_only.extra_tensors["rope_factors_short.weight"] = {8};
  expect_load_error(short_only, ErrorCode::bad_format,
                    {"tensor 'rope_factors_long.weight' is missing"});
  test::FamilyFile zero_factors("phi3");
  zero_factors.extra_tensors["rope_factors_long.weight"] = {8};
  expect_load_error(zero_factors, ErrorCode::bad_format,
                    {"rope_factors_long.weight[0] = 0", "must be finite and positive"});
  test::FamilyFile no_factor("llama");
  no_factor.strings["rope.scaling.type"] = "linear";
  expect_load_error(no_factor, ErrorCode::bad_format, {"'llama.rope.scaling.factor' is missing"});
}

TEST(FamilyValidation, SoftCapsAndQueryScaleMustBeFiniteAndPositive) {
  for (const char* key :
       {"attn_logit_softcapping", "final_logit_softcapping", "attention.query_pre_attn_scalar"})
    for (const float bad : {kInf, kNan, 0.0f, -50.0f}) {
      SCOPED_TRACE(std::string(key) + " " + std::to_string(bad));
      expect_load_error(with_float("gemma2", key, bad), ErrorCode::bad_format,
                        {std::string("gemma2.") + key, "must be finite and positive"});
    }
}

TEST(FamilyValidation, UnsupportedVariantsAreRefusedByName) {
  test::FamilyFile gemma3("gemma2");
  gemma3.arch = "gemma3";
  expect_load_error(gemma3, ErrorCode::unsupported, {"architecture 'gemma3' is not supported"});
  test::FamilyFile both_factors("llama");
  both_factors.rope_freqs = true;
  both_factors.long_rope = true;
  expect_load_error(both_factors, ErrorCode::unsupported,
                    {"tensor 'rope_factors_long.weight' is not part of the llama architecture"});
  test::FamilyFile yarn("qwen2");
  yarn.strings["rope.scaling.type"] = "yarn";
  expect_load_error(yarn, ErrorCode::unsupported, {"RoPE scaling 'yarn' is not supported"});
  test::FamilyFile value_width("llama");
  value_width.ints["attention.key_length"] = 16;
  value_width.ints["attention.value_length"] = 8;
  expect_load_error(value_width, ErrorCode::unsupported, {"values and keys of different widths"});
}

TEST(FamilyValidation, HyperParametersAreRead) {
  test::FamilyFile file("gemma2");
  const test::TempFamilyFile written(file);
  const auto model = Model::load(written.path);  // kept: the config lives in the Model
  const ModelConfig& c = model->config();
  EXPECT_EQ(c.architecture, Architecture::gemma2);
  EXPECT_EQ(c.head_size(), 24);
  EXPECT_EQ(c.q_dim(), 96);
  EXPECT_EQ(c.kv_dim(), 48);
  EXPECT_FLOAT_EQ(c.attention_softcap, 5.0f);
  EXPECT_FLOAT_EQ(c.final_softcap, 3.0f);
  EXPECT_FLOAT_EQ(c.score_scale(), 1.0f / std::sqrt(24.0f));
  EXPECT_EQ(c.layer_window(0), 3);
  EXPECT_EQ(c.layer_window(1), 0);
  EXPECT_EQ(c.layer_window(2), 3);
}

}  // namespace
}  // namespace engine
