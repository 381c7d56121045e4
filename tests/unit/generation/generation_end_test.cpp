// Generation ends on any end-of-generation token of the vocabulary (llama.cpp's set), not only on
// EOS, and on BOS: Llama 3 ends a turn with <|eot_id|>; Qwen2 with <|im_end|> or <|endoftext|>.
// The ids are those of the published vocabularies.
#include <gtest/gtest.h>

#include "engine/generation/generator.hpp"
#include "engine/tokenizer.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

TEST(GenerationEnd, Llama3EndsOnEndOfTurnAndBos) {
  const auto tokenizer =
      load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-llama-bpe.gguf"));
  EXPECT_TRUE(ends_generation(*tokenizer, 128009));   // <|eot_id|>
  EXPECT_TRUE(ends_generation(*tokenizer, 128000));   // <|begin_of_text|>, BOS
  EXPECT_FALSE(ends_generation(*tokenizer, 9906));    // "Hello"
  EXPECT_FALSE(ends_generation(*tokenizer, 128002));  // a reserved special token
}

TEST(GenerationEnd, Qwen2EndsOnImEndAndEndOfText) {
  const auto tokenizer =
      load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-qwen2.gguf"));
  EXPECT_TRUE(ends_generation(*tokenizer, 151645));   // <|im_end|>
  EXPECT_TRUE(ends_generation(*tokenizer, 151643));   // <|endoftext|>
  EXPECT_FALSE(ends_generation(*tokenizer, 151644));  // <|im_start|>
  EXPECT_FALSE(ends_generation(*tokenizer, 9707));    // "Hello"
}

TEST(GenerationEnd, Llama2cEndsOnBosAndEos) {
  const auto tokenizer = load_tokenizer(test::require_model("tok512.bin"));
  EXPECT_TRUE(ends_generation(*tokenizer, 1));
  EXPECT_TRUE(ends_generation(*tokenizer, 2));
  EXPECT_FALSE(ends_generation(*tokenizer, 3));
}

}  // namespace
}  // namespace engine
