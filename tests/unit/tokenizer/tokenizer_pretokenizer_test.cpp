// Pre-tokenizer families on small texts, expectations worked out by hand from each regex sequence
// (llama.cpp's src/llama-vocab.cpp lists them): llama.cpp's vectors cover all but 'default', and
// these name the rule a failure breaks.
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "tokenizer/pretokenizer.hpp"

namespace engine {
namespace {

using Words = std::vector<std::string_view>;

Words split(std::string_view pre, std::string_view text) {
  const auto spec = find_pre_tokenizer(pre);
  EXPECT_TRUE(spec) << pre;
  return spec ? pretokenize(spec->kind, text) : Words{};
}

TEST(TokenizerPreTokenizer, NamesAndDefaults) {
  EXPECT_FALSE(find_pre_tokenizer("tekken"));
  EXPECT_FALSE(find_pre_tokenizer(""));
  const auto llama3 = find_pre_tokenizer("llama-bpe");
  ASSERT_TRUE(llama3);
  EXPECT_EQ(llama3->kind, PreTokenizer::llama3);
  EXPECT_TRUE(llama3->ignore_merges);
  EXPECT_TRUE(llama3->add_bos);
  const auto smollm = find_pre_tokenizer("smollm");
  ASSERT_TRUE(smollm);
  EXPECT_EQ(smollm->kind, PreTokenizer::starcoder);
  EXPECT_FALSE(smollm->add_bos);
}

// \p{N}{1,3} against Qwen2's \p{N}; a lone space before a number stands alone.
TEST(TokenizerPreTokenizer, Llama3GroupsDigitsByThreeQwen2SplitsThem) {
  EXPECT_EQ(split("llama-bpe", "abc 12345"), (Words{"abc", " ", "123", "45"}));
  EXPECT_EQ(split("qwen2", "abc 12345"), (Words{"abc", " ", "1", "2", "3", "4", "5"}));
  // Contractions in any case; punctuation keeps the newlines after it; a letter run takes one
  // leading non-letter.
  EXPECT_EQ(split("llama-bpe", "I'M ok!\n\nx"), (Words{"I", "'M", " ok", "!\n\n", "x"}));
  EXPECT_EQ(split("llama-bpe", "a \n\n b"), (Words{"a", " \n\n", " b"}));
}

// \p{N} first, then GPT-2's regex.
TEST(TokenizerPreTokenizer, StarCoderIsolatesDigits) {
  EXPECT_EQ(split("starcoder", "x1y22 z"), (Words{"x", "1", "y", "2", "2", " z"}));
}

// [\p{P}\$\+<=>\^~\|`]+, GPT-2's regex, then [0-9][0-9][0-9].
TEST(TokenizerPreTokenizer, FalconIsolatesPunctuationAndDigitTriples) {
  EXPECT_EQ(split("falcon", "x = a+b; 1234567"),
            (Words{"x", " ", "=", " a", "+", "b", ";", " ", "123", "456", "7"}));
}

// llama.cpp's 'default': Falcon's first two regexes, \p{N}+, then [0-9][0-9][0-9].
TEST(TokenizerPreTokenizer, DefaultSplitsNumberRunsFromTheirSpace) {
  EXPECT_EQ(split("default", "Hello, world!! 12345"),
            (Words{"Hello", ",", " world", "!!", " ", "123", "45"}));
}

// [\r\n], \s?\p{L}+, \s?\p{P}+, the CJK ranges, then \p{N}.
TEST(TokenizerPreTokenizer, DeepSeekCoderSplitsScriptsAndDigits) {
  EXPECT_EQ(split("deepseek-coder", "foo(bar)\n你好 42"),
            (Words{"foo", "(", "bar", ")", "\n", "你好", " ", "4", "2"}));
}

// Every regex splits every piece, matches included: the cased-letter run "Zoë" is cut again by
// \s?[!-/:-~...]+, whose :-~ range holds the ASCII letters but not "ë". \s+$ keeps trailing
// spaces together; \p{N}+ keeps a number whole.
TEST(TokenizerPreTokenizer, DeepSeekLlmAppliesEveryRegexToEveryPiece) {
  EXPECT_EQ(split("deepseek-llm", "Zoë 12345  "), (Words{"Zo", "ë", " ", "12345", "  "}));
}

}  // namespace
}  // namespace engine
