// A well-formed model whose weights make the logits NaN (stories260K.gguf with output_norm.weight
// set to NaN): generation ends with one engine::Error naming the step, in the library and the C
// API, greedy or sampled — never a crash, never token 0 every step.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "engine/engine.h"
#include "engine/generation/generator.hpp"
#include "expect_engine_error.hpp"
#include "format/gguf_file.hpp"
#include "test_paths.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

namespace fs = std::filesystem;

// A copy of stories260K.gguf whose output_norm.weight holds NaN, in a temporary directory.
class NanModel : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string source = test::require_model("stories260K.gguf");
    std::string bytes;
    {
      const MappedFile file(source);
      bytes.assign(reinterpret_cast<const char*>(file.data()), file.size());
      const GgufFile gguf({file.data(), file.size()}, source);
      bool found = false;
      for (const GgufTensorInfo& t : gguf.tensors()) {
        if (t.name != "output_norm.weight") continue;
        ASSERT_EQ(t.bytes, t.elements * sizeof(float));  // f32
        const float nan = std::numeric_limits<float>::quiet_NaN();
        for (std::uint64_t i = 0; i < t.elements; ++i)
          std::memcpy(&bytes[t.offset + i * sizeof(float)], &nan, sizeof(float));
        found = true;
      }
      ASSERT_TRUE(found);
    }
    dir_ = fs::temp_directory_path() / ("engine_nan_model_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "nan.gguf").string();
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string path_;
};

TEST_F(NanModel, GenerateThrowsNamingTheStepGreedyOrSampled) {
  const auto model = Model::load(path_);
  const auto tokenizer = load_tokenizer(path_);
  for (const float temperature : {0.0f, 1.0f}) {
    Session session(model);
    GenerationOptions options;
    options.max_new_tokens = 8;
    options.sampling.temperature = temperature;
    test::expect_engine_error([&] { generate(session, *tokenizer, "Once upon a time", options); },
                              ErrorCode::bad_format, {"step 1", "not finite"});
  }
}

TEST_F(NanModel, BatchGenerationThrowsToo) {
  const auto model = Model::load(path_);
  const auto tokenizer = load_tokenizer(path_);
  Session session(model, {.max_batch = 2});
  const std::string prompts[] = {"Once", "Lily went"};
  GenerationOptions options;
  options.sampling.temperature = 0.0f;
  test::expect_engine_error([&] { generate_batch(session, *tokenizer, prompts, options); },
                            ErrorCode::bad_format, {"step 1", "sequence 0"});
}

TEST_F(NanModel, CApiReturnsBadFormatWithTheMessage) {
  engine_model* model = nullptr;
  engine_tokenizer* tokenizer = nullptr;
  engine_session* session = nullptr;
  ASSERT_EQ(engine_model_load(path_.c_str(), &model), ENGINE_OK);
  ASSERT_EQ(engine_tokenizer_load(path_.c_str(), &tokenizer), ENGINE_OK);
  ASSERT_EQ(engine_session_create(model, &session), ENGINE_OK);
  engine_generate_options options = engine_generate_options_default();
  options.max_new_tokens = 4;
  EXPECT_EQ(engine_generate(session, tokenizer, "Once", &options, nullptr, nullptr, nullptr),
            ENGINE_ERROR_BAD_FORMAT);
  EXPECT_NE(std::string(engine_last_error()).find("step 1"), std::string::npos)
      << engine_last_error();
  engine_session_free(session);
  engine_tokenizer_free(tokenizer);
  engine_model_free(model);
}

}  // namespace
}  // namespace engine
