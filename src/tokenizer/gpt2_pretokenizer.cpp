// The regex is matched by hand: at each position the alternatives are tried in order, exactly as
// a backtracking engine would, on characters already classified (letter, number, space, other).
#include "tokenizer/gpt2_pretokenizer.hpp"

#include <array>

#include "tokenizer/sentencepiece_normalizer.hpp"
#include "tokenizer/unicode_classes.hpp"

namespace engine {
namespace {

struct Char {
  std::size_t offset;  // in the text
  char32_t code;
  CharClass cls;
};

char32_t decode_code_point(std::string_view bytes) {
  const auto b = [&](std::size_t i) { return static_cast<char32_t>(bytes[i] & 0xFF); };
  switch (bytes.size()) {
    case 1:
      return b(0);
    case 2:
      return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
    case 3:
      return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    default:
      return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
  }
}

std::vector<Char> classify(std::string_view text) {
  std::vector<Char> chars;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t size = utf8_char_size(text.substr(pos));
    if (size == 0) {
      // A malformed byte: a character of its own that no class claims.
      chars.push_back({pos, 0xFFFD, CharClass::other});
      ++pos;
      continue;
    }
    const char32_t code = decode_code_point(text.substr(pos, size));
    chars.push_back({pos, code, char_class(code)});
    pos += size;
  }
  return chars;
}

class Matcher {
 public:
  explicit Matcher(const std::vector<Char>& chars) : chars_(chars) {}

  // The end (a char index) of the match starting at `i`.
  std::size_t match(std::size_t i) const {
    if (const std::size_t end = contraction(i)) return end;
    for (const CharClass cls : {CharClass::letter, CharClass::number, CharClass::other})
      if (const std::size_t end = optional_space_then_run(i, cls)) return end;
    // \s+(?!\S), else \s+: a run of spaces leaves its last one to the word that follows.
    const std::size_t end = run(i, CharClass::whitespace);
    if (end < chars_.size() && end - i >= 2) return end - 1;
    return end;
  }

 private:
  bool is(std::size_t i, CharClass cls) const { return i < chars_.size() && chars_[i].cls == cls; }
  bool is_char(std::size_t i, char32_t c) const { return i < chars_.size() && chars_[i].code == c; }

  std::size_t run(std::size_t i, CharClass cls) const {
    while (is(i, cls)) ++i;
    return i;
  }

  // 's|'t|'re|'ve|'m|'ll|'d (lower case only, as in GPT-2's pattern); 0 when none matches.
  std::size_t contraction(std::size_t i) const {
    if (!is_char(i, '\'')) return 0;
    for (const char c : {'s', 't', 'm', 'd'})
      if (is_char(i + 1, c)) return i + 2;
    static constexpr std::array<std::array<char, 2>, 3> kTwoLetter = {
        {{'r', 'e'}, {'v', 'e'}, {'l', 'l'}}};
    for (const auto& [a, b] : kTwoLetter)
      if (is_char(i + 1, a) && is_char(i + 2, b)) return i + 3;
    return 0;
  }

  // " ?X+" for X = \p{L}, \p{N} or [^\s\p{L}\p{N}]; 0 when it does not match.
  std::size_t optional_space_then_run(std::size_t i, CharClass cls) const {
    const std::size_t start = is_char(i, ' ') && is(i + 1, cls) ? i + 1 : i;
    const std::size_t end = run(start, cls);
    return end > start ? end : 0;
  }

  const std::vector<Char>& chars_;
};

}  // namespace

std::vector<std::string_view> gpt2_pretokenize(std::string_view text) {
  const std::vector<Char> chars = classify(text);
  const Matcher matcher(chars);
  std::vector<std::string_view> words;
  for (std::size_t i = 0; i < chars.size();) {
    const std::size_t end = matcher.match(i);
    const std::size_t to = end < chars.size() ? chars[end].offset : text.size();
    words.push_back(text.substr(chars[i].offset, to - chars[i].offset));
    i = end;
  }
  return words;
}

}  // namespace engine
