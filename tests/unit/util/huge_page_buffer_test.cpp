// The buffer the weights converted or packed at load live in: zeroed, page aligned (2 MB from
// one huge page on), movable.
#include "util/huge_page_buffer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <utility>

namespace engine {
namespace {

bool all_zero(const HugePageBuffer& b) {
  return std::all_of(b.data(), b.data() + b.size(), [](std::uint8_t v) { return v == 0; });
}

TEST(HugePageBuffer, IsZeroedAndAligned) {
  // Sizes below, at and past one huge page, and one that is not a multiple of anything.
  for (std::size_t bytes : {std::size_t{1}, std::size_t{4097}, HugePageBuffer::kAlignment - 1,
                            HugePageBuffer::kAlignment, 3 * HugePageBuffer::kAlignment + 12345}) {
    HugePageBuffer b(bytes);
    ASSERT_NE(b.data(), nullptr);
    EXPECT_EQ(b.size(), bytes);
    const std::size_t alignment =
        bytes >= HugePageBuffer::kAlignment ? HugePageBuffer::kAlignment : 4096;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % alignment, 0u) << bytes;
    EXPECT_TRUE(all_zero(b)) << bytes;
    b.data()[0] = 1;  // every byte is writable
    b.data()[bytes - 1] = 7;
  }
}

TEST(HugePageBuffer, AbsurdSizeThrows) {
  EXPECT_THROW(HugePageBuffer(SIZE_MAX - 100), std::bad_alloc);
}

TEST(HugePageBuffer, EmptyHasNoMemory) {
  const HugePageBuffer none, zero(0);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.data(), nullptr);
  EXPECT_EQ(zero.size(), 0u);
  EXPECT_EQ(zero.data(), nullptr);
}

TEST(HugePageBuffer, MoveHandsOverTheMemory) {
  HugePageBuffer a(100);
  a.data()[99] = 42;
  std::uint8_t* const memory = a.data();
  HugePageBuffer b(std::move(a));
  EXPECT_EQ(b.data(), memory);
  EXPECT_EQ(b.size(), 100u);
  EXPECT_EQ(b.data()[99], 42);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(a.data(), nullptr);

  HugePageBuffer c(10);
  c = std::move(b);  // c's own memory is unmapped, b's handed over
  EXPECT_EQ(c.data(), memory);
  EXPECT_EQ(b.size(), 0u);
}

}  // namespace
}  // namespace engine
