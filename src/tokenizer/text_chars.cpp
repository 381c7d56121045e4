#include "tokenizer/text_chars.hpp"

#include "tokenizer/sentencepiece_normalizer.hpp"

namespace engine {
namespace {

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

}  // namespace

std::vector<TextChar> decode_text_chars(std::string_view text) {
  std::vector<TextChar> chars;
  chars.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t size = utf8_char_size(text.substr(pos));
    if (size == 0) {
      chars.push_back({pos, 0xFFFD, UnicodeCategory::symbol, false});
      ++pos;
      continue;
    }
    const char32_t code = decode_code_point(text.substr(pos, size));
    chars.push_back({pos, code, unicode_category(code), is_white_space(code)});
    pos += size;
  }
  return chars;
}

}  // namespace engine
