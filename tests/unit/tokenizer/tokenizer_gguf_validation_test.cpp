// Issue 25's tokenizer defects, each reproduced with a mutated in-memory GGUF vocabulary: NaN or
// infinite scores are refused (as the tokenizer.bin reader refuses them), and special-token ids
// outside the vocabulary are errors naming the key, while -1 / 0xFFFFFFFF still mean "none".
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>

#include "engine/error.hpp"
#include "engine/tokenizer.hpp"
#include "expect_engine_error.hpp"
#include "format/gguf_file.hpp"
#include "test_gguf_builder.hpp"
#include "tokenizer/gguf_tokenizer.hpp"

namespace engine {
namespace {

using test::TestGgufBuilder;

std::unique_ptr<Tokenizer> load(const TestGgufBuilder& w) {
  const std::string bytes = w.bytes();
  const GgufFile gguf(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                      "mem.gguf");
  return read_gguf_tokenizer(gguf);
}

void expect_refused(const TestGgufBuilder& w, const std::string& needle) {
  test::expect_engine_error([&] { load(w); }, ErrorCode::bad_format, {"mem.gguf", needle});
}

// A four-piece SentencePiece vocabulary, with `scores`.
TestGgufBuilder llama(std::vector<float> scores = {0, 0, 0, -1}) {
  TestGgufBuilder w;
  w.kv_string("tokenizer.ggml.model", "llama")
      .kv_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "▁a"})
      .kv_floats("tokenizer.ggml.scores", scores)
      .kv_i32s("tokenizer.ggml.token_type", {2, 3, 3, 1});
  return w;
}

// A byte-level vocabulary of the two bytes "a" and "b".
TestGgufBuilder gpt2() {
  TestGgufBuilder w;
  w.kv_string("tokenizer.ggml.model", "gpt2")
      .kv_string("tokenizer.ggml.pre", "gpt-2")
      .kv_strings("tokenizer.ggml.tokens", {"a", "b"});
  return w;
}

TestGgufBuilder& kv_i32(TestGgufBuilder& w, std::string_view key, std::int32_t v) {
  return w.kv_raw(key, 5, TestGgufBuilder::encode(v));
}

TEST(TokenizerGgufValidation, NonFiniteScoresAreRefused) {
  EXPECT_NO_THROW(load(llama()));
  expect_refused(llama({0, 0, std::nanf(""), -1}), "tokenizer.ggml.scores: token 2 has score nan");
  expect_refused(llama({0, 0, 0, std::numeric_limits<float>::infinity()}),
                 "tokenizer.ggml.scores: token 3 has score inf");
  expect_refused(llama({-std::numeric_limits<float>::infinity(), 0, 0, 0}),
                 "tokenizer.ggml.scores: token 0 has score -inf");
}

TEST(TokenizerGgufValidation, SpecialIdsOutOfRangeNameTheKey) {
  for (const char* key : {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                          "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
                          "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
    SCOPED_TRACE(key);
    expect_refused(llama().kv_u32(key, 1000000),
                   std::string(key) + " 1000000 is out of range for 4 tokens");
    expect_refused(llama().kv_u32(key, 4), std::string(key) + " 4 is out of range for 4 tokens");
    TestGgufBuilder negative = gpt2();
    expect_refused(kv_i32(negative, key, -2),
                   std::string(key) + " -2 is out of range for 2 tokens");
    TestGgufBuilder huge = gpt2();
    huge.kv_raw(key, 10, TestGgufBuilder::encode(std::numeric_limits<std::uint64_t>::max()));
    expect_refused(huge, std::string(key) + " 18446744073709551615 is out of range");
  }
}

TEST(TokenizerGgufValidation, MinusOneMeansNone) {
  TestGgufBuilder w = gpt2();
  kv_i32(w, "tokenizer.ggml.bos_token_id", -1).kv_u32("tokenizer.ggml.eos_token_id", 0xFFFFFFFFu);
  kv_i32(w, "tokenizer.ggml.unknown_token_id", -1);
  const auto tokenizer = load(w);
  EXPECT_EQ(tokenizer->bos_id(), -1);
  EXPECT_EQ(tokenizer->eos_id(), -1);
  EXPECT_TRUE(tokenizer->end_of_generation_ids().empty());
  // A SentencePiece vocabulary without an unknown id falls back to its piece typed unknown.
  TestGgufBuilder spm = llama();
  kv_i32(spm, "tokenizer.ggml.unknown_token_id", -1);
  EXPECT_EQ(load(spm)->decode(-1, 0), " \xE2\x81\x87 ");
}

// Phi-3's layout: <unk> typed control, padding typed unknown. The unknown id the file names is
// the one text without a piece becomes; the padding stands for nothing.
TEST(TokenizerGgufValidation, UnknownIdIsTheFilesChoice) {
  TestGgufBuilder w;
  w.kv_string("tokenizer.ggml.model", "llama")
      .kv_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "▁a", "[PAD4]", "[PAD5]"})
      .kv_i32s("tokenizer.ggml.token_type", {3, 3, 3, 1, 2, 2})
      .kv_u32("tokenizer.ggml.unknown_token_id", 0);
  const auto tokenizer = load(w);
  const std::vector<int> ids = tokenizer->encode("b", false, false);
  ASSERT_FALSE(ids.empty());
  for (const int id : ids) EXPECT_EQ(id, 0);
  EXPECT_EQ(tokenizer->decode(-1, 4), "");
}

// tokenizer.ggml.eot_token_id and eom_token_id join the end-of-generation set.
TEST(TokenizerGgufValidation, EotAndEomEndGeneration) {
  TestGgufBuilder w = llama();
  w.kv_u32("tokenizer.ggml.eot_token_id", 3).kv_u32("tokenizer.ggml.eom_token_id", 1);
  EXPECT_EQ(load(w)->end_of_generation_ids(), (std::vector<int>{1, 2, 3}));
}

}  // namespace
}  // namespace engine
