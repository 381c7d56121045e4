// The Unicode character classes GPT-2's pre-tokenizer regex distinguishes: \p{L}, \p{N}, \s.
#pragma once

namespace engine {

enum class CharClass {
  letter,      ///< General_Category L* (\p{L})
  number,      ///< General_Category N* (\p{N})
  whitespace,  ///< White_Space (\s)
  other,
};

/// The class of code point `c` (Unicode 15.0).
CharClass char_class(char32_t c);

}  // namespace engine
