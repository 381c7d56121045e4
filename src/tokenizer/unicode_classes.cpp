// Category lookup: a binary search over the range table (a few thousand ranges) that
// tools/unicode/generate.sh writes from ICU into unicode_category_table.cpp, with no run-time
// dependency on ICU and the same answer on every machine.
#include "tokenizer/unicode_classes.hpp"

#include <algorithm>

#include "tokenizer/unicode_category_table.hpp"

namespace engine {

UnicodeCategory unicode_category(char32_t c) {
  if (c > 0x10FFFF) return UnicodeCategory::unassigned;
  const CategoryRange* end = kCategoryRanges + kCategoryRangeCount;
  // The last range starting at or before c.
  const CategoryRange* after =
      std::upper_bound(kCategoryRanges, end, c,
                       [](char32_t code, const CategoryRange& r) { return code < r.first; });
  return (after - 1)->category;
}

bool is_white_space(char32_t c) {
  // PropList.txt's White_Space list: 25 code points, unchanged since Unicode 6.3.
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

}  // namespace engine
