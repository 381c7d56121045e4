// SentencePiece identity normalization (normalizer.cc of libsentencepiece 0.1.97, minus the
// charsmap): only the ASCII space counts as whitespace; tabs and newlines are ordinary characters.
#include "tokenizer/sentencepiece_normalizer.hpp"

#include <cstdint>

namespace engine {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

bool is_trail_byte(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

bool is_valid_code_point(std::uint32_t c) {
  return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF);
}

}  // namespace

std::size_t utf8_char_size(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  if (s[0] < 0x80) return 1;
  if (n >= 2 && (s[0] & 0xE0) == 0xC0 && is_trail_byte(s[1])) {
    const std::uint32_t c = (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu);
    return c >= 0x80 ? 2 : 0;
  }
  if (n >= 3 && (s[0] & 0xF0) == 0xE0 && is_trail_byte(s[1]) && is_trail_byte(s[2])) {
    const std::uint32_t c = (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu);
    return c >= 0x800 && is_valid_code_point(c) ? 3 : 0;
  }
  if (n >= 4 && (s[0] & 0xF8) == 0xF0 && is_trail_byte(s[1]) && is_trail_byte(s[2]) &&
      is_trail_byte(s[3])) {
    const std::uint32_t c =
        (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 | (s[2] & 0x3Fu) << 6 | (s[3] & 0x3Fu);
    return c >= 0x10000 && is_valid_code_point(c) ? 4 : 0;
  }
  return 0;
}

std::string normalize(std::string_view text, const NormalizerOptions& options) {
  if (options.remove_extra_whitespaces) {
    const std::size_t first = text.find_first_not_of(' ');
    text.remove_prefix(first == std::string_view::npos ? text.size() : first);
  }
  std::string out;
  if (text.empty()) return out;  // no dummy prefix for nothing: "" encodes to no tokens
  out.reserve(text.size() + text.size() / 2 + kSpaceSymbol.size());
  if (options.add_dummy_prefix) out += kSpaceSymbol;

  // Leading spaces are gone, so with remove_extra_whitespaces the start counts as "after a space".
  bool after_space = options.remove_extra_whitespaces;
  while (!text.empty()) {
    const std::size_t size = utf8_char_size(text);
    if (text.front() == ' ') {
      if (!after_space) out += kSpaceSymbol;
      after_space = options.remove_extra_whitespaces;
    } else {
      // A malformed byte is replaced on its own, so the next byte may start a valid character.
      out += size == 0 ? kReplacementChar : text.substr(0, size);
      after_space = false;
    }
    text.remove_prefix(size == 0 ? 1 : size);
  }

  if (options.remove_extra_whitespaces) {
    while (out.ends_with(kSpaceSymbol)) out.resize(out.size() - kSpaceSymbol.size());
  }
  return out;
}

}  // namespace engine
