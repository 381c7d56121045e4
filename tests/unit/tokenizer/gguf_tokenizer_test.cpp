// Tokenizers built from GGUF metadata: what the vocab-only .gguf files say about BOS, EOS and
// special tokens, and clear errors for tokenizer metadata that does not hold together (llama.cpp's
// vectors for these files are in tokenizer_llamacpp_vectors_test.cpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "engine/error.hpp"
#include "engine/tokenizer.hpp"
#include "expect_engine_error.hpp"
#include "llamacpp_vectors.hpp"
#include "test_gguf_builder.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

using test::TestGgufBuilder;
using test::VectorCase;

TEST(GgufTokenizer, LlamaVocabularyAddsBosGpt2DoesNot) {
  const auto llama =
      load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-llama-spm.gguf"));
  EXPECT_EQ(llama->bos_id(), 1);
  EXPECT_EQ(llama->eos_id(), 2);
  // add_bos_token true, add_eos_token false: asking for both adds BOS only, as llama.cpp does.
  EXPECT_TRUE(llama->add_bos());
  EXPECT_FALSE(llama->add_eos());
  EXPECT_EQ(llama->encode("Hello", true, true), (std::vector<int>{1, 15043}));
  const auto gpt2 = load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-gpt-2.gguf"));
  EXPECT_EQ(gpt2->vocab_size(), 50257);
  EXPECT_EQ(gpt2->bos_id(), 50256);
  EXPECT_EQ(gpt2->eos_id(), 50256);
  // GPT-2's file has no add_bos_token or add_eos_token: like llama.cpp, neither is added.
  EXPECT_FALSE(gpt2->add_bos());
  EXPECT_FALSE(gpt2->add_eos());
  EXPECT_EQ(gpt2->encode("Hello", true, true), (std::vector<int>{15496}));
  EXPECT_EQ(gpt2->piece(995), "Ġworld");
  EXPECT_EQ(gpt2->decode(std::vector<int>{15496, 50256, 995}), "Hello world");
}

// stories260K.gguf embeds tok512: the same pieces and the same ids as tok512.bin.
TEST(GgufTokenizer, Stories260KVocabularyEqualsTok512) {
  const auto gguf = load_tokenizer(test::require_model("stories260K.gguf"));
  const auto bin = load_tokenizer(test::require_model("tok512.bin"));
  ASSERT_EQ(gguf->vocab_size(), bin->vocab_size());
  for (int id = 0; id < bin->vocab_size(); ++id) EXPECT_EQ(gguf->piece(id), bin->piece(id)) << id;
  for (const char* text : {"Once upon a time, there was a little girl named Lily.",
                           "  two  spaces\nand a newline", "Zoë ate 12 crêpes 🙂"}) {
    EXPECT_EQ(gguf->encode(text, true, false), bin->encode(text, true, false)) << text;
  }
}

class GgufBadTokenizer : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("bad_gguf_tok_" + std::to_string(::getpid()) + ".gguf"))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }

  void expect_error(const TestGgufBuilder& w, const std::string& needle,
                    ErrorCode code = ErrorCode::bad_format) {
    std::ofstream(path_, std::ios::binary) << w.bytes();
    test::expect_engine_error([&] { load_tokenizer(path_); }, code, {path_, needle});
  }

  // A minimal valid llama vocabulary.
  static TestGgufBuilder llama() {
    TestGgufBuilder w;
    w.kv_string("tokenizer.ggml.model", "llama")
        .kv_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "▁a"})
        .kv_floats("tokenizer.ggml.scores", {0, 0, 0, -1})
        .kv_i32s("tokenizer.ggml.token_type", {2, 3, 3, 1});
    return w;
  }

  std::string path_;
};

TEST_F(GgufBadTokenizer, MinimalVocabularyLoads) {
  std::ofstream(path_, std::ios::binary) << llama().bytes();
  EXPECT_EQ(load_tokenizer(path_)->encode("a", true, false), (std::vector<int>{1, 3}));
}

TEST_F(GgufBadTokenizer, MissingOrInconsistentKeys) {
  expect_error(TestGgufBuilder().kv_strings("tokenizer.ggml.tokens", {"a"}),
               "'tokenizer.ggml.model' is missing");
  expect_error(TestGgufBuilder().kv_string("tokenizer.ggml.model", "llama"),
               "'tokenizer.ggml.tokens' is missing");
  expect_error(llama().kv_floats("tokenizer.ggml.scores", {0}), "defined twice");
  TestGgufBuilder w;
  w.kv_string("tokenizer.ggml.model", "llama")
      .kv_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"})
      .kv_floats("tokenizer.ggml.scores", {0, 0});
  expect_error(w, "tokenizer.ggml.scores has 2 entries for 4 tokens");
  TestGgufBuilder types;
  types.kv_string("tokenizer.ggml.model", "llama")
      .kv_strings("tokenizer.ggml.tokens", {"<unk>", "a"})
      .kv_i32s("tokenizer.ggml.token_type", {2, 9});
  expect_error(types, "token 1 has type 9");
  expect_error(llama().kv_u32("tokenizer.ggml.bos_token_id", 10),
               "tokenizer.ggml.bos_token_id 10 is out of range for 4 tokens");
  TestGgufBuilder tokens_as_floats;
  tokens_as_floats.kv_string("tokenizer.ggml.model", "llama")
      .kv_floats("tokenizer.ggml.tokens", {1});
  expect_error(tokens_as_floats, "'tokenizer.ggml.tokens' is array of f32");
}

TEST_F(GgufBadTokenizer, UnsupportedModelsAndPreTokenizers) {
  TestGgufBuilder rwkv;
  rwkv.kv_string("tokenizer.ggml.model", "rwkv").kv_strings("tokenizer.ggml.tokens", {"a"});
  expect_error(rwkv, "tokenizer model 'rwkv'", ErrorCode::unsupported);
  TestGgufBuilder tekken;
  tekken.kv_string("tokenizer.ggml.model", "gpt2")
      .kv_string("tokenizer.ggml.pre", "tekken")
      .kv_strings("tokenizer.ggml.tokens", {"a"});
  expect_error(tekken, "pre-tokenizer 'tekken' is not supported", ErrorCode::unsupported);
}

// Vocabularies leave out bytes that never occur in UTF-8 (0xC0, 0xC1, 0xF5-0xFF) and sometimes
// control characters (Falcon): they load, and only text needing such a byte is refused.
TEST_F(GgufBadTokenizer, MissingByteIsAnErrorOnlyWhenTextNeedsIt) {
  TestGgufBuilder few;
  few.kv_string("tokenizer.ggml.model", "gpt2")
      .kv_string("tokenizer.ggml.pre", "gpt-2")
      .kv_strings("tokenizer.ggml.tokens", {"a", "b"});
  std::ofstream(path_, std::ios::binary) << few.bytes();
  const auto tokenizer = load_tokenizer(path_);
  EXPECT_EQ(tokenizer->encode("abba", false, false), (std::vector<int>{0, 1, 1, 0}));
  test::expect_engine_error([&] { tokenizer->encode("abc", false, false); },
                            ErrorCode::invalid_argument,
                            {"the text needs byte 0x63, which the vocabulary has no token for"});
}

TEST_F(GgufBadTokenizer, SmolLm2VocabularyWithoutImpossibleBytesLoads) {
  const auto smollm = load_tokenizer(test::require_model("families/smollm2-style-f32.gguf"));
  EXPECT_EQ(smollm->pre_tokenizer(), "smollm");
  EXPECT_EQ(smollm->decode(smollm->encode("Zoë ate 12 crêpes 🙂", false, false)),
            "Zoë ate 12 crêpes 🙂");
  test::expect_engine_error([&] { smollm->encode("\xC0\x80", false, false); },
                            ErrorCode::invalid_argument, {"byte 0xC0"});
}

// Merges are looked up by text when encoding (loading stays fast): a merge that is not two parts
// fails the load, one whose parts join into no token fails the encode that applies it.
TEST_F(GgufBadTokenizer, ByteLevelMergesMustJoinTokens) {
  std::vector<std::string> bytes;
  const auto real = load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-gpt-2.gguf"));
  for (int id = 0; id < 256; ++id) bytes.emplace_back(real->piece(id));  // GPT-2's first 256
  const auto with_merges = [&](std::vector<std::string> merges) {
    TestGgufBuilder w;
    w.kv_string("tokenizer.ggml.model", "gpt2")
        .kv_string("tokenizer.ggml.pre", "gpt-2")
        .kv_strings("tokenizer.ggml.tokens", bytes)
        .kv_strings("tokenizer.ggml.merges", merges);
    return w;
  };
  expect_error(with_merges({"ab"}), "merge 0 'ab' is not two tokens");
  std::ofstream(path_, std::ios::binary) << with_merges({"a b"}).bytes();
  const auto tokenizer = load_tokenizer(path_);
  EXPECT_EQ(tokenizer->encode("ba", false, false).size(), 2u);
  test::expect_engine_error([&] { tokenizer->encode("ab", false, false); }, ErrorCode::bad_format,
                            {path_, "merge 0 'a b' does not join two tokens into a token"});
}

}  // namespace
}  // namespace engine
