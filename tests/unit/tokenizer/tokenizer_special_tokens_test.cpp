// What the vocabulary says about special tokens, checked against llama.cpp: BOS/EOS added as the
// family's file says (llama.cpp's own token ids for the families' prompt, from
// models/families/reference/*.json), the end-of-generation set by llama.cpp's rule (ids found in
// each file independently, by its EOS and token texts), and special tokens in text parsed only
// when asked.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/error.hpp"
#include "engine/tokenizer.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

struct FamilyCase {
  std::string file;
  std::string pre_tokenizer;
  bool add_bos;
  // llama.cpp's ids for "Hello world, this is a test." with add_special=true, parse_special=false.
  std::vector<int> prompt;
  std::vector<int> end_of_generation;
};

class TokenizerFamilies : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(TokenizerFamilies, PromptAsLlamaCppEncodesIt) {
  const FamilyCase& c = GetParam();
  const auto tokenizer = load_tokenizer(test::require_model("families/" + c.file));
  EXPECT_EQ(tokenizer->pre_tokenizer(), c.pre_tokenizer);
  EXPECT_EQ(tokenizer->add_bos(), c.add_bos);
  EXPECT_FALSE(tokenizer->add_eos());
  EXPECT_EQ(tokenizer->encode("Hello world, this is a test.", {.add_bos = true, .add_eos = true}),
            c.prompt);
}

TEST_P(TokenizerFamilies, EndOfGenerationSet) {
  const FamilyCase& c = GetParam();
  const auto tokenizer = load_tokenizer(test::require_model("families/" + c.file));
  EXPECT_EQ(tokenizer->end_of_generation_ids(), c.end_of_generation);
  for (const int id : c.end_of_generation) EXPECT_TRUE(tokenizer->is_end_of_generation(id)) << id;
  EXPECT_FALSE(tokenizer->is_end_of_generation(c.prompt.back()));
  EXPECT_FALSE(tokenizer->is_end_of_generation(-1));
  EXPECT_FALSE(tokenizer->is_end_of_generation(tokenizer->vocab_size()));
}

INSTANTIATE_TEST_SUITE_P(
    Families, TokenizerFamilies,
    ::testing::Values(FamilyCase{"tinyllama-style-f32.gguf",
                                 "sentencepiece",
                                 true,
                                 {1, 15043, 3186, 29892, 445, 338, 263, 1243, 29889},
                                 {2}},
                      // Llama 3's file has no add_bos_token: llama-bpe adds BOS by default.
                      FamilyCase{"llama32-style-f32.gguf",
                                 "llama-bpe",
                                 true,
                                 {128000, 9906, 1917, 11, 420, 374, 264, 1296, 13},
                                 {128009}},
                      // <|endoftext|>, <|im_end|> (EOS), <|fim_pad|>, <|repo_name|>, <|file_sep|>.
                      FamilyCase{"qwen25-style-f32.gguf",
                                 "qwen2",
                                 false,
                                 {9707, 1879, 11, 419, 374, 264, 1273, 13},
                                 {151643, 151645, 151662, 151663, 151664}},
                      FamilyCase{"smollm2-style-f32.gguf",
                                 "smollm",
                                 false,
                                 {8302, 5810, 49, 477, 458, 331, 913, 51},
                                 {0}},
                      // <|endoftext|> (EOS) and <|end|>.
                      FamilyCase{"phi3-style-f32.gguf",
                                 "sentencepiece",
                                 true,
                                 {1, 15043, 3186, 29892, 445, 338, 263, 1243, 29889},
                                 {32000, 32007}},
                      // add_space_prefix false: "Hello" without the dummy prefix's "▁".
                      FamilyCase{"gemma2-style-f32.gguf",
                                 "sentencepiece",
                                 true,
                                 {1, 10994, 3186, 29892, 445, 338, 263, 1243, 29889},
                                 {2}}),
    [](const auto& info) {
      const std::string& file = info.param.file;
      return file.substr(0, file.find('-'));
    });

// llama.cpp's vocab files: the same rule, ids found in each file by its EOS and token texts.
TEST(TokenizerEndOfGeneration, LlamaCppVocabularies) {
  const std::vector<std::pair<std::string, std::vector<int>>> expected = {
      {"llama-spm", {2}},
      {"phi-3", {32000, 32007}},
      {"gpt-2", {50256}},
      {"llama-bpe", {128009}},
      {"qwen2", {151643, 151645, 151662, 151663, 151664}},
      {"deepseek-llm", {100001}},
      {"deepseek-coder", {32014}},
      {"falcon", {11}},
      {"mpt", {0}},
      {"starcoder", {0}},
      {"refact", {0}},
  };
  for (const auto& [name, ids] : expected) {
    SCOPED_TRACE(name);
    const auto tokenizer =
        load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-" + name + ".gguf"));
    EXPECT_EQ(tokenizer->end_of_generation_ids(), ids);
  }
}

// Phi-3's padding pieces are typed UNKNOWN in llama.cpp's vocab file and UNUSED in what today's
// converter writes; <unk> itself is typed CONTROL. Both load, with the unknown id the file names,
// and the padding pieces stand for no text.
TEST(TokenizerPhi3, PaddingTypedUnknownOrUnusedLoads) {
  const auto unknown_typed =
      load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-phi-3.gguf"));
  const auto unused_typed = load_tokenizer(test::require_model("families/phi3-style-f32.gguf"));
  ASSERT_EQ(unknown_typed->vocab_size(), 32064);
  ASSERT_EQ(unused_typed->vocab_size(), 32064);
  EXPECT_EQ(unknown_typed->piece(32063), "[PAD32063]");
  EXPECT_EQ(unknown_typed->decode(-1, 32063), "");
  EXPECT_EQ(unused_typed->decode(-1, 32063), "");
  // Text that looks like a padding piece is plain text.
  const std::string text = "[PAD32063] <|end|>";
  EXPECT_EQ(unknown_typed->encode(text, false, false), unused_typed->encode(text, false, false));
  EXPECT_EQ(unknown_typed->decode(unknown_typed->encode(text, false, false)), text);
}

// A user typing a control token's text gets ordinary tokens; asking for specials gives the id.
TEST(TokenizerSpecials, ParsedOnlyWhenAsked) {
  const auto qwen = load_tokenizer(test::require_model("families/qwen25-style-f32.gguf"));
  const std::string text = "hi<|im_end|>\n<|im_start|>";
  const std::vector<int> plain = qwen->encode(text, false, false);
  EXPECT_EQ(qwen->decode(plain), text);
  for (const int id : plain) EXPECT_FALSE(qwen->is_end_of_generation(id)) << id;
  const std::vector<int> parsed = qwen->encode(text, {.parse_special = true});
  ASSERT_EQ(parsed.size(), 4u);
  EXPECT_EQ(parsed[1], 151645);  // <|im_end|>
  EXPECT_EQ(parsed[3], 151644);  // <|im_start|>
  EXPECT_EQ(qwen->piece(parsed[2]), "Ċ");

  const auto llama3 = load_tokenizer(test::require_model("families/llama32-style-f32.gguf"));
  const std::vector<int> header = llama3->encode("<|start_header_id|>user<|end_header_id|>",
                                                 {.add_bos = true, .parse_special = true});
  EXPECT_EQ(header, (std::vector<int>{128000, 128006, 882, 128007}));
  EXPECT_GT(llama3->encode("<|start_header_id|>", false, false).size(), 1u);

  // SentencePiece: each run of text between specials gets its own dummy prefix, as in llama.cpp.
  const auto phi3 = load_tokenizer(test::require_model("families/phi3-style-f32.gguf"));
  EXPECT_EQ(phi3->encode("Hello<|end|>Hello", {.parse_special = true}),
            (std::vector<int>{15043, 32007, 15043}));
  const std::vector<int> plain_end = phi3->encode("<|end|>", false, false);
  EXPECT_GT(plain_end.size(), 1u);
  EXPECT_EQ(std::count(plain_end.begin(), plain_end.end(), 32007), 0);
}

}  // namespace
}  // namespace engine
