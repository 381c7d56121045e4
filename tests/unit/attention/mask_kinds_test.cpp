// The mask kinds (padding, sliding window, prefix-LM, custom) against hand-written matrices,
// their KV-cache block forms, combinations through `&`, and the row-range form the attention
// kernel uses agreeing with the dense rows for every kind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "engine/attention/mask.hpp"
#include "engine/error.hpp"
#include "engine/ops/masked_softmax.hpp"

namespace engine {
namespace {

TEST(MaskPadding, LeftPaddedKeysAndQueriesAreMasked) {
  // 3 valid tokens in 5 positions: positions 0 and 1 are padding.
  EXPECT_EQ(
      padding_mask(3, 5),
      Mask({{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 1, 1, 1}, {0, 0, 1, 1, 1}, {0, 0, 1, 1, 1}}));
  EXPECT_EQ(padding_mask(4, 4), Mask(4, 4, 1));
  EXPECT_EQ(padding_mask(0, 4), Mask(4, 4, 0));
  EXPECT_THROW(padding_mask(5, 4), Error);
  EXPECT_THROW(padding_mask(-1, 4), Error);
}

TEST(MaskPadding, CombinesWithCausal) {
  EXPECT_EQ(
      padding_mask(3, 5) & subsequent_mask(5),
      Mask({{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 1, 0, 0}, {0, 0, 1, 1, 0}, {0, 0, 1, 1, 1}}));
}

TEST(MaskPadding, BlockAfterCachedKeys) {
  // 2 new queries (positions 3, 4) after 3 cached keys, of which key 0 is padding.
  EXPECT_EQ(padding_block_mask(2, 3, 1), Mask({{0, 1, 1, 1, 1}, {0, 1, 1, 1, 1}}));
  EXPECT_EQ(padding_block_mask(2, 3, 1) & causal_block_mask(2, 3),
            Mask({{0, 1, 1, 1, 0}, {0, 1, 1, 1, 1}}));
  EXPECT_THROW(padding_block_mask(2, 3, 6), Error);
  EXPECT_THROW(padding_block_mask(2, -1, 0), Error);
}

TEST(MaskPadding, OneMaskPerSequenceOfTheBatch) {
  const std::vector<Mask> masks = padding_masks({3, 5, 2}, 5);
  ASSERT_EQ(masks.size(), 3u);
  EXPECT_EQ(masks[0], padding_mask(3, 5));
  EXPECT_EQ(masks[1], padding_mask(5, 5));
  EXPECT_EQ(masks[2], padding_mask(2, 5));
  EXPECT_THROW(padding_masks({3, 6}, 5), Error);
}

TEST(MaskSlidingWindow, EachQuerySeesTheLastWindowKeys) {
  EXPECT_EQ(
      sliding_window_mask(5, 2),
      Mask({{1, 0, 0, 0, 0}, {1, 1, 0, 0, 0}, {0, 1, 1, 0, 0}, {0, 0, 1, 1, 0}, {0, 0, 0, 1, 1}}));
  EXPECT_EQ(sliding_window_mask(6, 3), Mask({{1, 0, 0, 0, 0, 0},
                                             {1, 1, 0, 0, 0, 0},
                                             {1, 1, 1, 0, 0, 0},
                                             {0, 1, 1, 1, 0, 0},
                                             {0, 0, 1, 1, 1, 0},
                                             {0, 0, 0, 1, 1, 1}}));
  EXPECT_EQ(sliding_window_mask(4, 1),
            Mask({{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}));
  EXPECT_THROW(sliding_window_mask(4, 0), Error);
}

TEST(MaskSlidingWindow, WindowAtLeastSizeIsSubsequentMask) {
  for (int size : {0, 1, 2, 5, 20})
    for (int window : {std::max(size, 1), size + 1, 100})
      EXPECT_EQ(sliding_window_mask(size, window), subsequent_mask(size)) << size << ", " << window;
}

TEST(MaskSlidingWindow, BlockAfterCachedKeys) {
  // Positions 3 and 4 with a window of 2: keys 2..3 and 3..4.
  EXPECT_EQ(sliding_window_block_mask(2, 3, 2), Mask({{0, 0, 1, 1, 0}, {0, 0, 0, 1, 1}}));
  EXPECT_EQ(sliding_window_block_mask(3, 4, 100), causal_block_mask(3, 4));
}

// The ring form stated from positions, not from the block-form functions: positions
// 0..cached+block-1 are written in order, a left-padded sequence's only from `padding` on (real
// token p - padding into slot (p - padding) % capacity); query r, at position q = cached + r,
// sees slot j iff the position the slot holds is in its window, q - window < p <= q. Slots no
// token reached are 0.
Mask expected_ring(int block, int cached, int window, int capacity, int padding) {
  const int written = cached + block;
  std::vector<int> held(capacity, -1);
  for (int p = padding; p < written; ++p) held[(p - padding) % capacity] = p;
  const int slots = std::min(capacity, std::max(written - padding, 1));
  Mask ring(block, slots, 0);
  for (int r = 0; r < block; ++r) {
    const int q = cached + r;
    for (int j = 0; j < slots; ++j)
      ring.set(r, j, held[j] >= 0 && held[j] <= q && held[j] > q - window);
  }
  return ring;
}

TEST(MaskSlidingWindow, RingFormIsTheBlockFormInSlotOrder) {
  Mask ring;
  // Position 9 (block of 1 after 9 cached), window 3, a ring of 4: slots 0..3 hold 8, 9, 6, 7.
  sliding_window_ring_mask(ring, 1, 9, 3, 4);
  EXPECT_EQ(ring, Mask({{1, 1, 0, 1}}));
  for (int window : {1, 2, 3, 5})
    for (int block : {1, 2, 4})
      for (int cached : {0, 1, 3, 7, 12, 30}) {
        const int capacity = window + block - 1;
        sliding_window_ring_mask(ring, block, cached, window, capacity);
        EXPECT_EQ(ring, expected_ring(block, cached, window, capacity, 0))
            << window << ", " << block << ", " << cached;
        for (int padding : {0, 2, 5, 40}) {
          padded_sliding_window_ring_mask(ring, block, cached, padding, window, capacity);
          EXPECT_EQ(ring, expected_ring(block, cached, window, capacity, padding))
              << window << ", " << block << ", " << cached << ", padding " << padding;
        }
      }
  // Padding past the block (a padded prompt in chunks): one fully masked column.
  padded_sliding_window_ring_mask(ring, 2, 1, 6, 3, 4);
  EXPECT_EQ(ring, Mask(2, 1, 0));
  // Position 7 of a sequence padded by 2 (real token 5) after 7 cached, window 2, ring of 4:
  // slots 0..3 hold real tokens 4, 5, 2, 3; it sees 4 and 5.
  padded_sliding_window_ring_mask(ring, 1, 7, 2, 2, 4);
  EXPECT_EQ(ring, Mask({{1, 1, 0, 0}}));
  // A ring that has not wrapped is the block form itself: positions 4..6, keys 3..4 to 5..6.
  sliding_window_ring_mask(ring, 3, 4, 2, 100);
  EXPECT_EQ(ring, Mask({{0, 0, 0, 1, 1, 0, 0}, {0, 0, 0, 0, 1, 1, 0}, {0, 0, 0, 0, 0, 1, 1}}));
  EXPECT_EQ(ring, sliding_window_block_mask(3, 4, 2));
}

TEST(MaskSlidingWindow, RingTooSmallForTheBlockIsRejected) {
  Mask ring;
  // A block of 3 with a window of 4 needs 6 rows once the ring wraps.
  EXPECT_THROW(sliding_window_ring_mask(ring, 3, 10, 4, 5), Error);
  EXPECT_NO_THROW(sliding_window_ring_mask(ring, 3, 10, 4, 6));
  EXPECT_NO_THROW(sliding_window_ring_mask(ring, 3, 2, 4, 5));  // nothing overwritten yet
  EXPECT_THROW(sliding_window_ring_mask(ring, 1, 3, 0, 5), Error);
  EXPECT_THROW(padded_sliding_window_ring_mask(ring, 1, 3, -1, 2, 5), Error);
}

TEST(MaskPrefixLm, PrefixIsBidirectionalTheRestCausal) {
  EXPECT_EQ(
      prefix_lm_mask(5, 2),
      Mask({{1, 1, 0, 0, 0}, {1, 1, 0, 0, 0}, {1, 1, 1, 0, 0}, {1, 1, 1, 1, 0}, {1, 1, 1, 1, 1}}));
  EXPECT_EQ(prefix_lm_mask(6, 3), Mask({{1, 1, 1, 0, 0, 0},
                                        {1, 1, 1, 0, 0, 0},
                                        {1, 1, 1, 0, 0, 0},
                                        {1, 1, 1, 1, 0, 0},
                                        {1, 1, 1, 1, 1, 0},
                                        {1, 1, 1, 1, 1, 1}}));
  EXPECT_EQ(prefix_lm_mask(5, 0), subsequent_mask(5));
  EXPECT_EQ(prefix_lm_mask(5, 1), subsequent_mask(5));
  EXPECT_EQ(prefix_lm_mask(4, 4), Mask(4, 4, 1));
  EXPECT_EQ(prefix_lm_mask(4, 9), Mask(4, 4, 1));
  EXPECT_THROW(prefix_lm_mask(4, -1), Error);
}

TEST(MaskPrefixLm, BlockAfterCachedKeys) {
  // Positions 2 and 3 with a prefix of 3: position 2 is the prefix's last, it sees 0..2.
  EXPECT_EQ(prefix_lm_block_mask(2, 2, 3), Mask({{1, 1, 1, 0}, {1, 1, 1, 1}}));
  // Prefix keys beyond the ones that exist are absent, not an error.
  EXPECT_EQ(prefix_lm_block_mask(2, 0, 3), Mask(2, 2, 1));
}

TEST(MaskCustom, TakesAnyZeroOneMatrix) {
  const Mask m({{1, 0, 1}, {0, 1, 0}});
  ASSERT_EQ(m.rows(), 2);
  ASSERT_EQ(m.cols(), 3);
  const int expected[2][3] = {{1, 0, 1}, {0, 1, 0}};
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(m.at(r, c), expected[r][c]);
  EXPECT_EQ(Mask(std::vector<std::vector<int>>{}), Mask(0, 0, 0));
}

TEST(MaskCustom, RejectsNonBinaryAndRaggedRows) {
  EXPECT_THROW(Mask({{1, 2}, {0, 1}}), Error);
  EXPECT_THROW(Mask({{1, -1}, {0, 1}}), Error);
  EXPECT_THROW(Mask({{1, 0}, {1}}), Error);
}

TEST(MaskCombined, WindowAndPadding) {
  EXPECT_EQ(
      sliding_window_mask(5, 2) & padding_mask(4, 5),
      Mask({{0, 0, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, 1, 1, 0, 0}, {0, 0, 1, 1, 0}, {0, 0, 0, 1, 1}}));
}

TEST(MaskPrint, BatchPrintsLikeANumpy3DArray) {
  EXPECT_EQ(to_string(padding_masks({1, 2}, 2)), "[[[0 0]\n  [0 1]]\n\n [[1 1]\n  [1 1]]]");
  EXPECT_EQ(to_string(std::vector<Mask>{}), "[]");
}

// Every built-in kind (and their combinations) gives contiguous rows, so attention always takes
// the range path; the range must select exactly the row's ones and give the same softmax.
TEST(MaskRangeForm, EqualsTheDenseRowForEveryKind) {
  const std::pair<const char*, Mask> kinds[] = {
      {"subsequent", subsequent_mask(7)},
      {"triu k=-1", triu(6, -1)},
      {"triu k=2", triu(6, 2)},
      {"causal block", causal_block_mask(3, 4)},
      {"padding", padding_mask(3, 6)},
      {"padding & causal", padding_mask(3, 6) & subsequent_mask(6)},
      {"padding block & causal", padding_block_mask(3, 4, 2) & causal_block_mask(3, 4)},
      {"window", sliding_window_mask(7, 3)},
      {"window block", sliding_window_block_mask(3, 4, 2)},
      {"window & padding", sliding_window_mask(6, 3) & padding_mask(4, 6)},
      {"prefix", prefix_lm_mask(7, 3)},
      {"prefix block", prefix_lm_block_mask(3, 2, 4)},
  };
  for (const auto& [name, mask] : kinds) {
    std::vector<float> scores(mask.cols()), dense(mask.cols()), ranged(mask.cols());
    for (int r = 0; r < mask.rows(); ++r) {
      const auto range = mask.row_range(r);
      ASSERT_TRUE(range.has_value()) << name << " row " << r;
      for (int c = 0; c < mask.cols(); ++c) {
        EXPECT_EQ(mask.at(r, c), c >= range->begin && c < range->end ? 1 : 0)
            << name << " row " << r << " col " << c;
        scores[c] = 3.0f * std::sin(0.7f * static_cast<float>(c + r));
      }
      masked_softmax(scores, mask.row(r), dense, 0.5f);
      masked_softmax(scores, *range, ranged, 0.5f);
      for (int c = 0; c < mask.cols(); ++c) {
        EXPECT_NEAR(ranged[c], dense[c], 1e-6f) << name << " row " << r << " col " << c;
        if (!mask.at(r, c)) {
          EXPECT_EQ(ranged[c], 0.0f) << name << " row " << r << " col " << c;
        }
      }
    }
  }
}

}  // namespace
}  // namespace engine
