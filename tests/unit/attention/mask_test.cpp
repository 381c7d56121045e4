// Masks against hand-written expectations: the classic numpy triu examples, subsequent_mask,
// causal blocks, row ranges and `&`. The other kinds are in mask_kinds_test.cpp.
#include "engine/attention/mask.hpp"

#include <gtest/gtest.h>

#include "engine/error.hpp"

namespace engine {
namespace {

TEST(Triu, ClassicThreeByThreeExamples) {
  EXPECT_EQ(triu(3, 0), Mask({{1, 1, 1}, {0, 1, 1}, {0, 0, 1}}));
  EXPECT_EQ(triu(3, 1), Mask({{0, 1, 1}, {0, 0, 1}, {0, 0, 0}}));
  EXPECT_EQ(triu(3, -1), Mask({{1, 1, 1}, {1, 1, 1}, {0, 1, 1}}));
}

TEST(SubsequentMask, FiveByFiveIsLowerTriangular) {
  EXPECT_EQ(
      subsequent_mask(5),
      Mask({{1, 0, 0, 0, 0}, {1, 1, 0, 0, 0}, {1, 1, 1, 0, 0}, {1, 1, 1, 1, 0}, {1, 1, 1, 1, 1}}));
}

TEST(SubsequentMask, IsOneMinusTriuK1) {
  for (int size : {0, 1, 2, 7, 20}) {
    const Mask s = subsequent_mask(size), t = triu(size, 1);
    for (int r = 0; r < size; ++r)
      for (int c = 0; c < size; ++c) EXPECT_EQ(s.at(r, c), 1 - t.at(r, c));
  }
}

TEST(SubsequentMask, TwentyByTwentyFollowsTheDefinition) {
  // 1 - triu(ones, k=1): 1 exactly where col <= row.
  const Mask s = subsequent_mask(20);
  ASSERT_EQ(s.rows(), 20);
  ASSERT_EQ(s.cols(), 20);
  for (int r = 0; r < 20; ++r)
    for (int c = 0; c < 20; ++c) EXPECT_EQ(s.at(r, c), c <= r ? 1 : 0) << r << ", " << c;
}

TEST(SubsequentMask, PrintsLikeNumpy) {
  EXPECT_EQ(to_string(subsequent_mask(3)), "[[1 0 0]\n [1 1 0]\n [1 1 1]]");
}

TEST(CausalBlockMask, RowSeesCachedKeysAndItsPrefix) {
  // 2 new tokens after 3 cached: row 0 (position 3) sees 0..3, row 1 sees 0..4.
  EXPECT_EQ(causal_block_mask(2, 3), Mask({{1, 1, 1, 1, 0}, {1, 1, 1, 1, 1}}));
  EXPECT_EQ(causal_block_mask(4, 0), subsequent_mask(4));
  EXPECT_EQ(causal_block_mask(1, 6), Mask(1, 7, 1));
  EXPECT_THROW(causal_block_mask(1, -1), Error);
}

TEST(Mask, RowRangeOnlyForContiguousRows) {
  const Mask m({{0, 1, 1, 0}, {1, 0, 1, 0}, {0, 0, 0, 0}, {1, 1, 1, 1}});
  EXPECT_EQ(m.row_range(0), (RowRange{1, 3}));
  EXPECT_EQ(m.row_range(1), std::nullopt);
  EXPECT_EQ(m.row_range(2), (RowRange{0, 0}));
  EXPECT_EQ(m.row_range(3), (RowRange{0, 4}));
}

TEST(Mask, AndCombinesAndChecksShapes) {
  EXPECT_EQ(subsequent_mask(3) & triu(3, 0), Mask({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}));
  EXPECT_THROW(subsequent_mask(3) & subsequent_mask(4), Error);
}

}  // namespace
}  // namespace engine
