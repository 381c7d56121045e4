// The 3x5 glyphs and text drawing for heatmap titles and labels: small enough to own, no font
// library. Capitals only: a lower-case letter is drawn as its capital.
#include "cli/render/bitmap_font.hpp"

#include <array>
#include <cctype>
#include <cstdint>

namespace engine::render {
namespace {

/// One glyph: kGlyphHeight rows of kGlyphWidth bits, most significant bit leftmost.
using Glyph = std::array<std::uint8_t, kGlyphHeight>;

constexpr char kFirstGlyph = ' ';
// Printable ASCII from ' ' to '`' (lower case folds onto A-Z), then '{' to '~'.
constexpr Glyph kGlyphs[] = {
    {0b000, 0b000, 0b000, 0b000, 0b000},  // ' '
    {0b010, 0b010, 0b010, 0b000, 0b010},  // !
    {0b101, 0b101, 0b000, 0b000, 0b000},  // "
    {0b101, 0b111, 0b101, 0b111, 0b101},  // #
    {0b011, 0b110, 0b010, 0b011, 0b110},  // $
    {0b101, 0b001, 0b010, 0b100, 0b101},  // %
    {0b010, 0b101, 0b010, 0b101, 0b011},  // &
    {0b010, 0b010, 0b000, 0b000, 0b000},  // '
    {0b001, 0b010, 0b010, 0b010, 0b001},  // (
    {0b100, 0b010, 0b010, 0b010, 0b100},  // )
    {0b000, 0b101, 0b010, 0b101, 0b000},  // *
    {0b000, 0b010, 0b111, 0b010, 0b000},  // +
    {0b000, 0b000, 0b010, 0b010, 0b100},  // ,
    {0b000, 0b000, 0b111, 0b000, 0b000},  // -
    {0b000, 0b000, 0b000, 0b000, 0b010},  // .
    {0b001, 0b001, 0b010, 0b100, 0b100},  // /
    {0b111, 0b101, 0b101, 0b101, 0b111},  // 0
    {0b010, 0b110, 0b010, 0b010, 0b111},  // 1
    {0b111, 0b001, 0b111, 0b100, 0b111},  // 2
    {0b111, 0b001, 0b111, 0b001, 0b111},  // 3
    {0b101, 0b101, 0b111, 0b001, 0b001},  // 4
    {0b111, 0b100, 0b111, 0b001, 0b111},  // 5
    {0b111, 0b100, 0b111, 0b101, 0b111},  // 6
    {0b111, 0b001, 0b001, 0b001, 0b001},  // 7
    {0b111, 0b101, 0b111, 0b101, 0b111},  // 8
    {0b111, 0b101, 0b111, 0b001, 0b111},  // 9
    {0b000, 0b010, 0b000, 0b010, 0b000},  // :
    {0b000, 0b010, 0b000, 0b010, 0b100},  // ;
    {0b001, 0b010, 0b100, 0b010, 0b001},  // <
    {0b000, 0b111, 0b000, 0b111, 0b000},  // =
    {0b100, 0b010, 0b001, 0b010, 0b100},  // >
    {0b110, 0b001, 0b010, 0b000, 0b010},  // ?
    {0b010, 0b101, 0b111, 0b100, 0b011},  // @
    {0b010, 0b101, 0b111, 0b101, 0b101},  // A
    {0b110, 0b101, 0b110, 0b101, 0b110},  // B
    {0b011, 0b100, 0b100, 0b100, 0b011},  // C
    {0b110, 0b101, 0b101, 0b101, 0b110},  // D
    {0b111, 0b100, 0b110, 0b100, 0b111},  // E
    {0b111, 0b100, 0b110, 0b100, 0b100},  // F
    {0b011, 0b100, 0b101, 0b101, 0b011},  // G
    {0b101, 0b101, 0b111, 0b101, 0b101},  // H
    {0b111, 0b010, 0b010, 0b010, 0b111},  // I
    {0b001, 0b001, 0b001, 0b101, 0b010},  // J
    {0b101, 0b101, 0b110, 0b101, 0b101},  // K
    {0b100, 0b100, 0b100, 0b100, 0b111},  // L
    {0b101, 0b111, 0b111, 0b101, 0b101},  // M
    {0b110, 0b101, 0b101, 0b101, 0b101},  // N
    {0b010, 0b101, 0b101, 0b101, 0b010},  // O
    {0b110, 0b101, 0b110, 0b100, 0b100},  // P
    {0b010, 0b101, 0b101, 0b110, 0b011},  // Q
    {0b110, 0b101, 0b110, 0b101, 0b101},  // R
    {0b011, 0b100, 0b010, 0b001, 0b110},  // S
    {0b111, 0b010, 0b010, 0b010, 0b010},  // T
    {0b101, 0b101, 0b101, 0b101, 0b111},  // U
    {0b101, 0b101, 0b101, 0b101, 0b010},  // V
    {0b101, 0b101, 0b111, 0b111, 0b101},  // W
    {0b101, 0b101, 0b010, 0b101, 0b101},  // X
    {0b101, 0b101, 0b010, 0b010, 0b010},  // Y
    {0b111, 0b001, 0b010, 0b100, 0b111},  // Z
    {0b011, 0b010, 0b010, 0b010, 0b011},  // [
    {0b100, 0b100, 0b010, 0b001, 0b001},  // backslash
    {0b110, 0b010, 0b010, 0b010, 0b110},  // ]
    {0b010, 0b101, 0b000, 0b000, 0b000},  // ^
    {0b000, 0b000, 0b000, 0b000, 0b111},  // _
    {0b100, 0b010, 0b000, 0b000, 0b000},  // `
    {0b011, 0b010, 0b100, 0b010, 0b011},  // {
    {0b010, 0b010, 0b010, 0b010, 0b010},  // |
    {0b110, 0b010, 0b001, 0b010, 0b110},  // }
    {0b000, 0b011, 0b110, 0b000, 0b000},  // ~
};

/// The glyph of `ch`: its capital's for a lower-case letter, '?' outside printable ASCII.
const Glyph& find_glyph(char ch) {
  const unsigned char c = static_cast<unsigned char>(std::toupper(static_cast<unsigned char>(ch)));
  if (c < ' ' || c > '~') return find_glyph('?');
  const int index = c <= '`' ? c - kFirstGlyph : c - '{' + ('`' - kFirstGlyph + 1);
  return kGlyphs[index];
}

}  // namespace

int text_length(std::string_view text, int scale) {
  if (text.empty()) return 0;
  return static_cast<int>(text.size()) * (kGlyphWidth + 1) * scale - scale;
}

void draw_text(RgbImage& image, int x, int y, std::string_view text, int scale, Rgb colour,
               TextDirection direction) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const Glyph& glyph = find_glyph(text[i]);
    for (int gy = 0; gy < kGlyphHeight; ++gy)
      for (int gx = 0; gx < kGlyphWidth; ++gx) {
        if (!(glyph[gy] >> (kGlyphWidth - 1 - gx) & 1)) continue;
        // (along, across): the pixel's offset along the line of text and down from its top.
        const int along = (static_cast<int>(i) * (kGlyphWidth + 1) + gx) * scale;
        const int across = gy * scale;
        if (direction == TextDirection::right)
          image.fill(x + along, y + across, scale, scale, colour);
        else  // rotated a quarter turn anticlockwise: along runs up, across runs right
          image.fill(x + across, y - along - scale, scale, scale, colour);
      }
  }
}

}  // namespace engine::render
