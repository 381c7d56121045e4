// llama.cpp's tokenizer test vectors (ids from Hugging Face's tokenizers, add_special_tokens=False,
// specials not parsed): for the Llama 2 SentencePiece vocabulary reproduced with llama2.c's
// tokenizer.bin, and for every vocab-only GGUF llama.cpp ships vectors with, loaded from the file.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer.hpp"
#include "llamacpp_vectors.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

using test::VectorCase;

class TokenizerLlamaCppVectors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cases_ = test::read_llamacpp_vectors("ggml-vocab-llama-spm.gguf");
    tokenizer_ = load_tokenizer(test::require_model("tokenizer.bin"));
  }
  static void TearDownTestSuite() { tokenizer_.reset(); }
  static inline std::vector<VectorCase> cases_;
  static inline std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(TokenizerLlamaCppVectors, FileHas46CasesWithIds) {
  ASSERT_EQ(cases_.size(), 46u);
  int empty = 0;
  for (const VectorCase& c : cases_) empty += c.ids.empty();
  EXPECT_EQ(empty, 1) << "only the empty text has no ids";
}

TEST_F(TokenizerLlamaCppVectors, EncodeMatchesEveryCase) {
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const VectorCase& c = cases_[i];
    SCOPED_TRACE(testing::Message() << "case " << i << ": \"" << c.text << "\"");
    EXPECT_EQ(tokenizer_->encode(c.text, false, false), c.ids);
  }
}

// tokenizer.bin says nothing about BOS/EOS: llama.cpp's SentencePiece defaults add BOS, not EOS.
TEST_F(TokenizerLlamaCppVectors, BosComesFirst) {
  const VectorCase& c = cases_[0];
  std::vector<int> expected = {1};
  expected.insert(expected.end(), c.ids.begin(), c.ids.end());
  EXPECT_EQ(tokenizer_->encode(c.text, true, true), expected);
}

// Llama 2 keeps extra whitespace and all of these are valid UTF-8, so every case round-trips:
// decoding drops exactly the dummy-prefix space that encoding added.
TEST_F(TokenizerLlamaCppVectors, DecodeOfEncodeIsTheText) {
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const VectorCase& c = cases_[i];
    SCOPED_TRACE(testing::Message() << "case " << i << ": \"" << c.text << "\"");
    EXPECT_EQ(tokenizer_->decode(c.ids), c.text);
    EXPECT_EQ(tokenizer_->decode(tokenizer_->encode(c.text, true, true)), c.text);
  }
}

// Prompts of many thousand characters must encode quickly (no quadratic merge loop).
TEST_F(TokenizerLlamaCppVectors, LongTextRoundTrips) {
  const VectorCase& longest = cases_.back();
  std::string text;
  for (int i = 0; i < 250; ++i) text += longest.text + "\n";
  const std::vector<int> ids = tokenizer_->encode(text, false, false);
  EXPECT_GT(text.size(), 100000u);
  EXPECT_EQ(tokenizer_->decode(ids), text);
}

// One GGUF vocabulary per pre-tokenizer family llama.cpp tests.
class GgufVocabularyVectors : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    cases_ = test::read_llamacpp_vectors("ggml-vocab-" + GetParam() + ".gguf");
    tokenizer_ =
        load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-" + GetParam() + ".gguf"));
  }
  std::vector<VectorCase> cases_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_P(GgufVocabularyVectors, EncodeMatchesEveryCase) {
  ASSERT_EQ(cases_.size(), 46u);
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const VectorCase& c = cases_[i];
    SCOPED_TRACE(testing::Message() << "case " << i << ": \"" << c.text << "\"");
    EXPECT_EQ(tokenizer_->encode(c.text, false, false), c.ids);
  }
}

// Every case is valid UTF-8 and none holds a special token, so decoding gives the text back.
TEST_P(GgufVocabularyVectors, DecodeGivesTheTextBack) {
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const VectorCase& c = cases_[i];
    SCOPED_TRACE(testing::Message() << "case " << i << ": \"" << c.text << "\"");
    EXPECT_EQ(tokenizer_->decode(c.ids), c.text);
  }
}

INSTANTIATE_TEST_SUITE_P(LlamaCpp, GgufVocabularyVectors,
                         ::testing::Values("llama-spm", "phi-3", "gpt-2", "llama-bpe", "qwen2",
                                           "deepseek-llm", "deepseek-coder", "falcon", "mpt",
                                           "starcoder", "refact"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

}  // namespace
}  // namespace engine
