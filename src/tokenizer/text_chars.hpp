// UTF-8 text as code points with the Unicode classes the pre-tokenizer regexes test.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "tokenizer/unicode_classes.hpp"

namespace engine {

struct TextChar {
  std::size_t offset;  ///< of its first byte in the text
  char32_t code;       ///< U+FFFD for a malformed byte, which is a character of its own
  UnicodeCategory category;
  bool space;  ///< White_Space (\s)

  bool is_letter() const { return category == UnicodeCategory::letter; }
  bool is_number() const { return category == UnicodeCategory::number; }
  bool is_cr_or_lf() const { return code == '\r' || code == '\n'; }
  /// [^\s\p{L}\p{N}]
  bool is_other() const { return !space && !is_letter() && !is_number(); }
};

/// The characters of `text`; malformed UTF-8 keeps its bytes (one TextChar each, classed as a
/// symbol like U+FFFD) so that pieces cut at character offsets give back the exact bytes.
std::vector<TextChar> decode_text_chars(std::string_view text);

}  // namespace engine
