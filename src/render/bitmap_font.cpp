// The 3x5 glyphs and text drawing for heatmap labels: small enough to own, no font library.
#include "render/bitmap_font.hpp"

#include <array>
#include <cstdint>

namespace engine::render {
namespace {

/// One glyph: kGlyphHeight rows of kGlyphWidth bits, most significant bit leftmost.
struct Glyph {
  char ch;
  std::array<std::uint8_t, kGlyphHeight> rows;
};

constexpr Glyph kGlyphs[] = {
    {'0', {0b111, 0b101, 0b101, 0b101, 0b111}}, {'1', {0b010, 0b110, 0b010, 0b010, 0b111}},
    {'2', {0b111, 0b001, 0b111, 0b100, 0b111}}, {'3', {0b111, 0b001, 0b111, 0b001, 0b111}},
    {'4', {0b101, 0b101, 0b111, 0b001, 0b001}}, {'5', {0b111, 0b100, 0b111, 0b001, 0b111}},
    {'6', {0b111, 0b100, 0b111, 0b101, 0b111}}, {'7', {0b111, 0b001, 0b001, 0b001, 0b001}},
    {'8', {0b111, 0b101, 0b111, 0b101, 0b111}}, {'9', {0b111, 0b101, 0b111, 0b001, 0b111}},
    {'E', {0b111, 0b100, 0b110, 0b100, 0b111}}, {'K', {0b101, 0b101, 0b110, 0b101, 0b101}},
    {'Q', {0b010, 0b101, 0b101, 0b110, 0b011}}, {'R', {0b110, 0b101, 0b110, 0b101, 0b101}},
    {'U', {0b101, 0b101, 0b101, 0b101, 0b111}}, {'Y', {0b101, 0b101, 0b010, 0b010, 0b010}},
};

const Glyph* find_glyph(char ch) {
  for (const Glyph& g : kGlyphs)
    if (g.ch == ch) return &g;
  return nullptr;
}

}  // namespace

int text_length(std::string_view text, int scale) {
  if (text.empty()) return 0;
  return static_cast<int>(text.size()) * (kGlyphWidth + 1) * scale - scale;
}

void draw_text(RgbImage& image, int x, int y, std::string_view text, int scale, Rgb colour,
               TextDirection direction) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const Glyph* glyph = find_glyph(text[i]);
    if (!glyph) continue;
    for (int gy = 0; gy < kGlyphHeight; ++gy)
      for (int gx = 0; gx < kGlyphWidth; ++gx) {
        if (!(glyph->rows[gy] >> (kGlyphWidth - 1 - gx) & 1)) continue;
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
