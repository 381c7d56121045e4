// Streaming decode: byte tokens give raw bytes, the dummy-prefix space goes only after BOS.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "engine/tokenizer.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

class TokenizerDecode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tokenizer_ = load_tokenizer(test::require_model("tokenizer.bin"));
  }
  static void TearDownTestSuite() { tokenizer_.reset(); }
  static inline std::unique_ptr<Tokenizer> tokenizer_;
};

// Llama 2 has no piece for 😀: it becomes its four UTF-8 bytes, each a token of its own.
TEST_F(TokenizerDecode, ByteFallbackTokensGiveTheExactBytes) {
  const std::string emoji = "\xF0\x9F\x98\x80";
  const std::vector<int> ids = tokenizer_->encode(emoji, true, false);
  ASSERT_EQ(ids.size(), 6u);  // BOS, "▁", 4 bytes
  EXPECT_EQ(tokenizer_->piece(ids[1]), "\xE2\x96\x81");
  const char* byte_pieces[] = {"<0xF0>", "<0x9F>", "<0x98>", "<0x80>"};
  std::string streamed;
  for (std::size_t i = 2; i < ids.size(); ++i) {
    EXPECT_EQ(tokenizer_->piece(ids[i]), byte_pieces[i - 2]);
    const std::string part = tokenizer_->decode(ids[i - 1], ids[i]);
    ASSERT_EQ(part.size(), 1u);
    streamed += part;
  }
  EXPECT_EQ(streamed, emoji);
  EXPECT_EQ(tokenizer_->decode(ids), emoji);
}

TEST_F(TokenizerDecode, LeadingSpaceIsDroppedOnlyAfterBos) {
  const std::vector<int> ids = tokenizer_->encode("Once upon", true, false);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(tokenizer_->piece(ids[1]), "\xE2\x96\x81Once");
  EXPECT_EQ(tokenizer_->decode(tokenizer_->bos_id(), ids[1]), "Once");
  EXPECT_EQ(tokenizer_->decode(ids[2], ids[1]), " Once");
  EXPECT_EQ(tokenizer_->decode(ids[1], ids[2]), " upon");
  EXPECT_EQ(tokenizer_->decode(ids), "Once upon");
}

// Only the dummy prefix goes: a text starting with spaces keeps them.
TEST_F(TokenizerDecode, OnlyOneSpaceIsDroppedAfterBos) {
  EXPECT_EQ(tokenizer_->decode(tokenizer_->encode("   Hello", true, false)), "   Hello");
}

TEST_F(TokenizerDecode, ControlTokensDecodeToNothing) {
  EXPECT_EQ(tokenizer_->decode(0, tokenizer_->bos_id()), "");
  EXPECT_EQ(tokenizer_->decode(0, tokenizer_->eos_id()), "");
  EXPECT_EQ(tokenizer_->decode(tokenizer_->encode("Hi there", true, true)), "Hi there");
}

TEST_F(TokenizerDecode, UnknownDecodesLikeSentencePiece) {
  EXPECT_EQ(tokenizer_->piece(0), "<unk>");
  EXPECT_EQ(tokenizer_->decode(5, 0), " \xE2\x81\x87 ");
}

TEST_F(TokenizerDecode, NewlinesAndTabsAreBytes) {
  const std::vector<int> ids = tokenizer_->encode("a\n\tb", false, false);
  EXPECT_EQ(ids, (std::vector<int>{263, 13, 12, 29890}));
  EXPECT_EQ(tokenizer_->decode(ids), "a\n\tb");
}

TEST_F(TokenizerDecode, OutOfRangeIdsThrow) {
  EXPECT_THROW(tokenizer_->decode(1, tokenizer_->vocab_size()), Error);
  EXPECT_THROW(tokenizer_->decode(1, -1), Error);
  EXPECT_THROW(tokenizer_->piece(32000), Error);
}

}  // namespace
}  // namespace engine
