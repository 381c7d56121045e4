// TextStream: what a stream may show of a completion before it ends, and where stop strings cut.
#include "server/text_stream.hpp"

#include <gtest/gtest.h>

namespace engine::server {
namespace {

TEST(TextStream, HandsOutTextAsItComesWithoutStopStrings) {
  TextStream text({});
  EXPECT_FALSE(text.append("Once"));
  EXPECT_EQ(text.take_ready(), "Once");
  EXPECT_FALSE(text.append(" upon"));
  EXPECT_EQ(text.take_ready(), " upon");
  EXPECT_EQ(text.take_rest(), "");
  EXPECT_EQ(text.text(), "Once upon");
}

TEST(TextStream, HoldsBackWhatMayBecomeAStopStringAndCutsBeforeIt) {
  TextStream text({"THE END"});
  EXPECT_FALSE(text.append("and THE"));
  EXPECT_EQ(text.take_ready(), "and ");  // "THE" may start "THE END"
  EXPECT_FALSE(text.append(" E"));
  EXPECT_EQ(text.take_ready(), "");
  EXPECT_TRUE(text.append("ND!"));
  EXPECT_EQ(text.text(), "and ");
  EXPECT_EQ(text.take_rest(), "");
}

TEST(TextStream, ReleasesHeldTextThatTurnsOutNotToBeAStop) {
  TextStream text({"THE END"});
  EXPECT_FALSE(text.append("THE"));
  EXPECT_EQ(text.take_ready(), "");
  EXPECT_FALSE(text.append(" DOG"));
  EXPECT_EQ(text.take_ready(), "THE DOG");
}

TEST(TextStream, TheFirstListedStopThatTheNewBytesCompleteWins) {
  // Both complete in the same piece; generate() takes the first in the list, not the earliest.
  TextStream text({"cd", "bc"});
  EXPECT_FALSE(text.append("a"));
  EXPECT_TRUE(text.append("bcd"));
  EXPECT_EQ(text.text(), "ab");
}

TEST(TextStream, OnlyAMatchEndingInTheNewBytesCounts) {
  // "ab" was in the text before the stop could have been seen: generate() would not stop on a
  // later token for it either (the search starts len(stop) bytes before the new piece).
  TextStream text({"ab"});
  EXPECT_TRUE(text.append("xab"));
  EXPECT_EQ(text.text(), "x");
}

TEST(TextStream, NeverSplitsAUtf8Character) {
  TextStream text({});
  const std::string e_acute = "\xC3\xA9";        // é, two bytes
  const std::string emoji = "\xF0\x9F\x98\x80";  // 😀, four bytes
  EXPECT_FALSE(text.append("caf" + e_acute.substr(0, 1)));
  EXPECT_EQ(text.take_ready(), "caf");
  EXPECT_FALSE(text.append(e_acute.substr(1) + emoji.substr(0, 2)));
  EXPECT_EQ(text.take_ready(), e_acute);
  EXPECT_FALSE(text.append(emoji.substr(2)));
  EXPECT_EQ(text.take_ready(), emoji);
}

TEST(TextStream, HandsOutAnUnfinishedCharacterAtTheEnd) {
  TextStream text({});
  EXPECT_FALSE(text.append("x\xE2\x82"));
  EXPECT_EQ(text.take_ready(), "x");
  EXPECT_EQ(text.take_rest(), "\xE2\x82");
}

}  // namespace
}  // namespace engine::server
