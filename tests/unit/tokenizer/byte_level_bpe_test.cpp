// Byte-level BPE (GPT-2): the pre-tokenizer splits like GPT-2's regex, and decoding gives back
// the exact bytes of any text, valid UTF-8 or not.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer.hpp"
#include "test_paths.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/unicode_classes.hpp"

namespace engine {
namespace {

using Words = std::vector<std::string_view>;

Words gpt2_pretokenize(std::string_view text) {
  return pretokenize(PreTokenizer::gpt2, text);
}

TEST(ByteLevelPretokenizer, SplitsLikeGpt2Regex) {
  EXPECT_EQ(gpt2_pretokenize(""), Words{});
  EXPECT_EQ(gpt2_pretokenize("Hello world"), (Words{"Hello", " world"}));
  // Contractions: lower case only, and split off even inside a word.
  EXPECT_EQ(gpt2_pretokenize("it's we'll I'M"), (Words{"it", "'s", " we", "'ll", " I", "'", "M"}));
  EXPECT_EQ(gpt2_pretokenize("'sam"), (Words{"'s", "am"}));
  EXPECT_EQ(gpt2_pretokenize("abc123 456"), (Words{"abc", "123", " 456"}));
  EXPECT_EQ(gpt2_pretokenize("hi!!! ok?"), (Words{"hi", "!!!", " ok", "?"}));
  // A run of spaces leaves its last one to the next word; at the end it stays whole.
  EXPECT_EQ(gpt2_pretokenize("a   b"), (Words{"a", "  ", " b"}));
  EXPECT_EQ(gpt2_pretokenize("a   "), (Words{"a", "   "}));
  EXPECT_EQ(gpt2_pretokenize("a\n\nb"), (Words{"a", "\n", "\n", "b"}));
  EXPECT_EQ(gpt2_pretokenize(" \n b"), (Words{" \n", " b"}));
  EXPECT_EQ(gpt2_pretokenize("\t\tx"), (Words{"\t", "\t", "x"}));
  // Only U+0020 is the optional leading space: a no-break space stands alone.
  EXPECT_EQ(gpt2_pretokenize("a\u00A0b"), (Words{"a", "\u00A0", "b"}));
  // Unicode letters and numbers.
  EXPECT_EQ(gpt2_pretokenize("Zoë 東京 ٣٤"), (Words{"Zoë", " 東京", " ٣٤"}));
  EXPECT_EQ(gpt2_pretokenize("I ❤️ 🙂🙂"), (Words{"I", " ❤️", " 🙂🙂"}));
  // A malformed byte is a character of no class.
  EXPECT_EQ(gpt2_pretokenize("a\xff\xfe b"), (Words{"a", "\xff\xfe", " b"}));
}

TEST(ByteLevelPretokenizer, UnicodeClasses) {
  using enum UnicodeCategory;
  EXPECT_EQ(unicode_category(U'a'), letter);
  EXPECT_EQ(unicode_category(U'ß'), letter);
  EXPECT_EQ(unicode_category(U'東'), letter);
  EXPECT_EQ(unicode_category(0x1E900), letter);  // ADLAM CAPITAL LETTER ALIF
  EXPECT_EQ(unicode_category(U'7'), number);
  EXPECT_EQ(unicode_category(U'½'), number);
  EXPECT_EQ(unicode_category(U'Ⅻ'), number);
  EXPECT_EQ(unicode_category(U'!'), punctuation);
  EXPECT_EQ(unicode_category(U'、'), punctuation);
  EXPECT_EQ(unicode_category(U'$'), symbol);
  EXPECT_EQ(unicode_category(0x1F642), symbol);  // 🙂
  EXPECT_EQ(unicode_category(0x301), mark);      // COMBINING ACUTE ACCENT
  EXPECT_EQ(unicode_category(U'\u3000'), separator);
  EXPECT_EQ(unicode_category(U'\n'), control);
  EXPECT_EQ(unicode_category(0x10FFFF), unassigned);
  EXPECT_EQ(unicode_category(0x110000), unassigned);
  EXPECT_TRUE(is_white_space(U'\u3000'));
  EXPECT_TRUE(is_white_space(U'\u0085'));
  EXPECT_FALSE(is_white_space(U'\u200B'));  // ZERO WIDTH SPACE is a format character
  EXPECT_FALSE(is_white_space(0x1C));       // Python's isspace() says yes; Unicode says no
}

class ByteLevelBpeGpt2 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tokenizer_ = load_tokenizer(test::require_model("llamacpp-vocab/ggml-vocab-gpt-2.gguf"));
  }
  static void TearDownTestSuite() { tokenizer_.reset(); }
  static inline std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(ByteLevelBpeGpt2, KnownIds) {
  EXPECT_EQ(tokenizer_->encode("Hello world", false, false), (std::vector<int>{15496, 995}));
  EXPECT_EQ(tokenizer_->encode(" the", false, false), (std::vector<int>{262}));
  EXPECT_EQ(tokenizer_->encode("", false, false), std::vector<int>{});
}

const std::vector<std::string>& tricky_texts() {
  static const std::vector<std::string> texts = {
      "",
      " ",
      "   leading and trailing   ",
      "two  spaces,   three and\t\ttabs",
      "\n\n\nnew\r\nlines\n",
      "tabs\tand\t\tmore",
      "it's they're we've I'm you'll he'd IT'S don't I'll",
      "1234567890 3.14159 -42 1e10 12345",
      "emoji 🙂👍🏽 👨‍👩‍👧 flags 🇫🇷",
      "mixed Zoë 東京 Привет مرحبا ٣٤ café naïve À",
      "<|endoftext|> is plain text here",
      std::string("nul\0byte", 8),
      "invalid \xff\xfe\xc3 utf-8 \xe2\x82",
      "\x01\x02\x7f\xa0\xad control and Latin-1 bytes",
  };
  return texts;
}

// decode(encode(text)) == text, whole and streamed token by token.
void expect_round_trips(const Tokenizer& tokenizer) {
  for (const std::string& text : tricky_texts()) {
    SCOPED_TRACE(text);
    const std::vector<int> ids = tokenizer.encode(text, false, false);
    EXPECT_EQ(tokenizer.decode(ids), text);
    std::string streamed;
    for (std::size_t i = 0; i < ids.size(); ++i)
      streamed += tokenizer.decode(i == 0 ? tokenizer.bos_id() : ids[i - 1], ids[i]);
    EXPECT_EQ(streamed, text);
  }
}

TEST_F(ByteLevelBpeGpt2, RoundTripsTrickyText) {
  expect_round_trips(*tokenizer_);
}

// The vocabulary embedded in a GPT-2 model file (llama.cpp's gpt2 layout) is the same one.
TEST(ByteLevelBpeGpt2Model, RoundTripsTrickyText) {
  const auto tokenizer = load_tokenizer(test::require_model("gpt2-tiny-random.gguf"));
  EXPECT_EQ(tokenizer->encode("Hello world", true, false), (std::vector<int>{15496, 995}));
  EXPECT_EQ(tokenizer->encode("don't I'll", false, false),
            (std::vector<int>{9099, 470, 314, 1183}));
  expect_round_trips(*tokenizer);
}

TEST_F(ByteLevelBpeGpt2, ControlTokensDecodeToNothing) {
  EXPECT_EQ(tokenizer_->decode(-1, 50256), "");
  EXPECT_EQ(tokenizer_->piece(50256), "<|endoftext|>");
  EXPECT_THROW(tokenizer_->decode(-1, 50257), std::exception);
}

// Long runs (one giant word) round-trip. No timing assertion: a merge loop gone quadratic
// would take hours on these 400K characters and trip the test timeout (tests/CMakeLists.txt).
TEST_F(ByteLevelBpeGpt2, LongRunsRoundTrip) {
  const std::string text = std::string(200000, ' ') + std::string(200000, 'a') + "x";
  const std::vector<int> ids = tokenizer_->encode(text, false, false);
  EXPECT_EQ(tokenizer_->decode(ids), text);
}

}  // namespace
}  // namespace engine
