// A tiny built-in 3x5 bitmap font (printable ASCII, in capitals) for heatmap titles and labels.
#pragma once

#include <string_view>

#include "cli/render/rgb_image.hpp"

namespace engine::render {

inline constexpr int kGlyphWidth = 3;   ///< font pixels per glyph, across
inline constexpr int kGlyphHeight = 5;  ///< font pixels per glyph, down

/// How a line of text runs: left to right, or bottom to top (a vertical axis title).
enum class TextDirection { right, up };

/// The length in image pixels of `text` at `scale` image pixels per font pixel (glyphs are
/// one font pixel apart).
int text_length(std::string_view text, int scale);

/// Draws `text` with its first glyph at (x, y): the top-left corner of the text when it runs
/// right, its bottom-left corner when it runs up. Lower case is drawn in capitals, anything
/// outside printable ASCII as ?.
void draw_text(RgbImage& image, int x, int y, std::string_view text, int scale, Rgb colour,
               TextDirection direction = TextDirection::right);

}  // namespace engine::render
