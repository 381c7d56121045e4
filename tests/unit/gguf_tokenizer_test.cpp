// Tokenizers built from GGUF metadata: llama.cpp's test vectors for its Llama 2 (SentencePiece)
// and GPT-2 (byte-level BPE) vocabularies, loaded from the vocab-only .gguf files themselves, and
// clear errors for tokenizer metadata that does not hold together.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "engine/error.hpp"
#include "engine/tokenizer.hpp"
#include "expect_engine_error.hpp"
#include "gguf_writer.hpp"
#include "llamacpp_vectors.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

using test::GgufWriter;
using test::VectorCase;

class GgufTokenizerVectors : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    cases_ = test::read_llamacpp_vectors(GetParam());
    tokenizer_ = load_tokenizer(test::require_model("llamacpp-vocab/" + GetParam()));
  }
  std::vector<VectorCase> cases_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_P(GgufTokenizerVectors, EncodeMatchesEveryCase) {
  ASSERT_EQ(cases_.size(), 46u);
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const VectorCase& c = cases_[i];
    SCOPED_TRACE(testing::Message() << "case " << i << ": \"" << c.text << "\"");
    EXPECT_EQ(tokenizer_->encode(c.text, false, false), c.ids);
  }
}

TEST_P(GgufTokenizerVectors, DecodeGivesTheTextBack) {
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const VectorCase& c = cases_[i];
    SCOPED_TRACE(testing::Message() << "case " << i << ": \"" << c.text << "\"");
    EXPECT_EQ(tokenizer_->decode(c.ids), c.text);
  }
}

INSTANTIATE_TEST_SUITE_P(GgufVocab, GgufTokenizerVectors,
                         ::testing::Values("ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf"),
                         [](const auto& info) {
                           return info.param == "ggml-vocab-gpt-2.gguf" ? "Gpt2" : "LlamaSpm";
                         });

TEST(GgufTokenizer, LlamaVocabularyAddsBosGpt2DoesNot) {
  const auto llama =
      load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-llama-spm.gguf"));
  EXPECT_EQ(llama->bos_id(), 1);
  EXPECT_EQ(llama->eos_id(), 2);
  EXPECT_EQ(llama->encode("Hello", true, true), (std::vector<int>{1, 15043, 2}));
  const auto gpt2 = load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-gpt-2.gguf"));
  EXPECT_EQ(gpt2->vocab_size(), 50257);
  EXPECT_EQ(gpt2->bos_id(), 50256);
  EXPECT_EQ(gpt2->eos_id(), 50256);
  // GPT-2 has no add_bos_token: like llama.cpp, no BOS; EOS when asked.
  EXPECT_EQ(gpt2->encode("Hello", true, true), (std::vector<int>{15496, 50256}));
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

  void expect_error(const GgufWriter& w, const std::string& needle,
                    ErrorCode code = ErrorCode::bad_format) {
    std::ofstream(path_, std::ios::binary) << w.bytes();
    test::expect_engine_error([&] { load_tokenizer(path_); }, code, {path_, needle});
  }

  // A minimal valid llama vocabulary.
  static GgufWriter llama() {
    GgufWriter w;
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
  expect_error(GgufWriter().kv_strings("tokenizer.ggml.tokens", {"a"}),
               "'tokenizer.ggml.model' is missing");
  expect_error(GgufWriter().kv_string("tokenizer.ggml.model", "llama"),
               "'tokenizer.ggml.tokens' is missing");
  expect_error(llama().kv_floats("tokenizer.ggml.scores", {0}), "defined twice");
  GgufWriter w;
  w.kv_string("tokenizer.ggml.model", "llama")
      .kv_strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"})
      .kv_floats("tokenizer.ggml.scores", {0, 0});
  expect_error(w, "tokenizer.ggml.scores has 2 entries for 4 tokens");
  GgufWriter types;
  types.kv_string("tokenizer.ggml.model", "llama")
      .kv_strings("tokenizer.ggml.tokens", {"<unk>", "a"})
      .kv_i32s("tokenizer.ggml.token_type", {2, 9});
  expect_error(types, "token 1 has type 9");
  expect_error(llama().kv_u32("tokenizer.ggml.bos_token_id", 10), "bos_id 10 is out of range");
  GgufWriter tokens_as_floats;
  tokens_as_floats.kv_string("tokenizer.ggml.model", "llama")
      .kv_floats("tokenizer.ggml.tokens", {1});
  expect_error(tokens_as_floats, "'tokenizer.ggml.tokens' is array of f32");
}

TEST_F(GgufBadTokenizer, UnsupportedModelsAndPreTokenizers) {
  GgufWriter rwkv;
  rwkv.kv_string("tokenizer.ggml.model", "rwkv").kv_strings("tokenizer.ggml.tokens", {"a"});
  expect_error(rwkv, "tokenizer model 'rwkv'", ErrorCode::unsupported);
  GgufWriter llama3;
  llama3.kv_string("tokenizer.ggml.model", "gpt2")
      .kv_string("tokenizer.ggml.pre", "llama-bpe")
      .kv_strings("tokenizer.ggml.tokens", {"a"});
  expect_error(llama3, "pre-tokenizer 'llama-bpe'", ErrorCode::unsupported);
}

TEST_F(GgufBadTokenizer, ByteLevelVocabularyNeedsEveryByteAndValidMerges) {
  GgufWriter few;
  few.kv_string("tokenizer.ggml.model", "gpt2").kv_strings("tokenizer.ggml.tokens", {"a", "b"});
  expect_error(few, "no token for byte 0x00");
  std::vector<std::string> bytes;
  const auto real = load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-gpt-2.gguf"));
  for (int id = 0; id < 256; ++id) bytes.emplace_back(real->piece(id));  // GPT-2's first 256
  GgufWriter merges;
  merges.kv_string("tokenizer.ggml.model", "gpt2")
      .kv_strings("tokenizer.ggml.tokens", bytes)
      .kv_strings("tokenizer.ggml.merges", {"a b"});
  expect_error(merges, "merge 0 'a b' is not two tokens that join into a token");
}

}  // namespace
}  // namespace engine
