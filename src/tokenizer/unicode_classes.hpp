// The Unicode character classes the pre-tokenizers' regexes distinguish: General Category major
// classes (\p{L}, \p{N}, \p{P}, ...) and White_Space (\s).
#pragma once

#include <cstdint>

namespace engine {

/// General Category, by major class.
enum class UnicodeCategory : std::uint8_t {
  letter,       ///< L*
  mark,         ///< M*
  number,       ///< N*
  punctuation,  ///< P*
  symbol,       ///< S*
  separator,    ///< Z*
  control,      ///< Cc, Cf, Co, Cs
  unassigned,   ///< Cn, and anything above U+10FFFF
};

/// The category of code point `c` (Unicode version: kUnicodeTableVersion).
UnicodeCategory unicode_category(char32_t c);

/// Whether `c` has the White_Space property (what \s matches in Unicode regexes).
bool is_white_space(char32_t c);

}  // namespace engine
