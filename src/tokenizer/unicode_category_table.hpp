// The General Category table behind unicode_category(), generated from ICU by
// tools/unicode/generate.sh.
#pragma once

#include <cstddef>

#include "tokenizer/unicode_classes.hpp"

namespace engine {

/// A run of code points of one category, from `first` to the next range's first - 1.
struct CategoryRange {
  char32_t first;
  UnicodeCategory category;
};

/// Sorted by `first`; the first range starts at 0 and the last covers U+10FFFF.
extern const CategoryRange kCategoryRanges[];
extern const std::size_t kCategoryRangeCount;
/// The Unicode version the table was generated from ("15.0").
extern const char kUnicodeTableVersion[];

}  // namespace engine
