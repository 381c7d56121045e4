// engine::summarize_gguf, the public description of a GGUF file: every field read from a file
// built byte by byte, absent keys as absent, and a file that is not GGUF as one clear error.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "cli/scratch_dir.hpp"
#include "engine/error.hpp"
#include "engine/model/gguf_summary.hpp"
#include "expect_engine_error.hpp"
#include "test_gguf_builder.hpp"

namespace engine {
namespace {

using test::TestGgufBuilder;

constexpr std::uint32_t kF32 = 0, kF16 = 1;  // ggml type numbers

TEST(GgufSummary, ReadsEveryField) {
  const test::ScratchDir dir("gguf_summary");
  TestGgufBuilder w(2);
  w.kv_string("general.architecture", "phi3")
      .kv_u32("phi3.rope.scaling.original_context_length", 4096)
      .kv_string("tokenizer.ggml.model", "gpt2")
      .kv_string("tokenizer.chat_template", "{{ messages }}")
      .tensor("token_embd.weight", {4, 2}, kF16, std::string(16, '\0'))
      .tensor("output_norm.weight", {4}, kF32, TestGgufBuilder::floats({1, 1, 1, 1}))
      .tensor("rope_factors_long.weight", {2}, kF32, TestGgufBuilder::floats({1, 2}))
      .tensor("rope_factors_short.weight", {2}, kF32, TestGgufBuilder::floats({1, 1}));
  const GgufSummary s = summarize_gguf(dir.write("phi.gguf", w.bytes()));
  EXPECT_EQ(s.version, 2u);
  EXPECT_EQ(s.tensor_types, (std::vector<std::pair<std::string, int>>{{"f16", 1}, {"f32", 3}}));
  EXPECT_EQ(s.tokenizer_model, "gpt2");
  EXPECT_TRUE(s.has_chat_template);
  EXPECT_TRUE(s.has_long_rope_factors);
  EXPECT_EQ(s.original_context_length, 4096u);
}

TEST(GgufSummary, AbsentKeysAreAbsent) {
  const test::ScratchDir dir("gguf_summary_bare");
  TestGgufBuilder w;
  w.kv_string("general.architecture", "llama")
      .tensor("output_norm.weight", {2}, kF32, TestGgufBuilder::floats({1, 1}));
  const GgufSummary s = summarize_gguf(dir.write("bare.gguf", w.bytes()));
  EXPECT_EQ(s.version, 3u);
  EXPECT_EQ(s.tensor_types, (std::vector<std::pair<std::string, int>>{{"f32", 1}}));
  EXPECT_FALSE(s.tokenizer_model);
  EXPECT_FALSE(s.has_chat_template);
  EXPECT_FALSE(s.has_long_rope_factors);
  EXPECT_FALSE(s.original_context_length);
}

TEST(GgufSummary, AFileThatIsNotGgufIsOneError) {
  const test::ScratchDir dir("gguf_summary_bad");
  const std::string path = dir.write("text.gguf", "not a model at all, just some text");
  EXPECT_FALSE(is_gguf_file(path));
  test::expect_engine_error([&] { summarize_gguf(path); }, ErrorCode::bad_format, {path});
  EXPECT_FALSE(is_gguf_file(dir.path().string() + "/missing.gguf"));
}

}  // namespace
}  // namespace engine
