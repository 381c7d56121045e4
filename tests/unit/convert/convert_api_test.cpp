// engine::convert through the library API: the written GGUF loads as the same model (the
// original's logits, bit for bit, in f32), progress counts every tensor, and what it cannot
// write is refused before a file exists.
#include <gtest/gtest.h>

#include <filesystem>
#include <utility>
#include <vector>

#include "cli/scratch_dir.hpp"
#include "engine/convert.hpp"
#include "engine/model/session.hpp"
#include "expect_engine_error.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

std::vector<float> prompt_logits(std::shared_ptr<const Model> model) {
  Session session(std::move(model));
  const std::vector<int> tokens = {1, 403, 407, 261, 378, 352};
  const std::span<const float> logits = session.forward(tokens, true);
  return {logits.begin(), logits.end()};
}

TEST(ConvertApi, F32FileLoadsAsTheSameModel) {
  const ScratchDir dir("convert_api");
  const auto model = Model::load(require_model("stories260K.bin"));
  const auto tokenizer = load_tokenizer(require_model("tok512.bin"));
  const std::string out = (dir.path() / "s.gguf").string();
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  convert(*model, *tokenizer, out,
          {.type = "F32", .progress = [&](std::size_t done, std::size_t total) {
             calls.emplace_back(done, total);
           }});
  // token_embd, nine tensors a layer, output_norm (the classifier is tied in stories260K).
  const ModelConfig& c = model->config();
  ASSERT_TRUE(c.shared_classifier);
  const std::size_t tensors = 2 + 9 * static_cast<std::size_t>(c.n_layers);
  ASSERT_EQ(calls.size(), tensors);
  for (std::size_t i = 0; i < tensors; ++i) EXPECT_EQ(calls[i], std::make_pair(i + 1, tensors));

  const auto converted = Model::load(out);
  EXPECT_EQ(converted->config().n_layers, c.n_layers);
  EXPECT_EQ(prompt_logits(converted), prompt_logits(model));
  // The vocabulary came along: the GGUF's own tokenizer encodes as the original.
  EXPECT_EQ(load_tokenizer(out)->encode("Once upon a time", true, false),
            tokenizer->encode("Once upon a time", true, false));
}

TEST(ConvertApi, RefusesWhatItCannotWriteBeforeAFileExists) {
  const ScratchDir dir("convert_api");
  const auto model = Model::load(require_model("stories260K.bin"));
  const auto tokenizer = load_tokenizer(require_model("tok512.bin"));
  const std::string out = (dir.path() / "x.gguf").string();
  expect_engine_error([&] { convert(*model, *tokenizer, out, {.type = "q7_0"}); },
                      ErrorCode::invalid_argument, {"q7_0", "q8_0"});
  const auto gpt2 = Model::load(require_model("gpt2-tiny-random.gguf"));
  expect_engine_error([&] { convert(*gpt2, *load_tokenizer(gpt2->path()), out); },
                      ErrorCode::unsupported, {"llama models only", "gpt2"});
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace engine::test
