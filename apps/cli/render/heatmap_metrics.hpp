// The sizes and colours heatmap_layout and the drawing share, and the labels both measure.
#pragma once

#include <string>
#include <string_view>

#include "cli/render/bitmap_font.hpp"
#include "cli/render/heatmap.hpp"

namespace engine::render {

inline constexpr int kMaxCell = 16;       // px a cell: 64 positions fill 1024 px
inline constexpr int kGridBudget = 1024;  // px the grid aims to fit in along its longer side
inline constexpr int kLabelScale = 2;     // image px per font px: 6x10 px glyphs
inline constexpr int kLabelHeight = kGlyphHeight * kLabelScale;
inline constexpr int kPad = 6;             // px of white around the picture and between its parts
inline constexpr int kTick = 4;            // px a tick mark sticks out of the grid or the bar
inline constexpr int kLabelGap = 2;        // px between a tick and its label
inline constexpr int kBarWidth = 16;       // px: the colour bar and a legend swatch
inline constexpr int kBarMinHeight = 128;  // px: the bar's height beside a short grid
inline constexpr int kBarGap = 3 * kPad;   // px between the grid (or its labels) and the bar
inline constexpr std::string_view kKeyTitle = "KEY";
inline constexpr std::string_view kQueryTitle = "QUERY";
inline constexpr std::string_view kMaskedLabel = "MASKED";
inline constexpr std::string_view kAllowedLabel = "MAY ATTEND";

inline constexpr Rgb kBackground{255, 255, 255};
inline constexpr Rgb kInk{33, 33, 33};
inline constexpr Rgb kGridLine{150, 150, 150};

/// A label as drawn: cut to kHeatmapLabelChars characters.
inline std::string_view shown_label(std::string_view label) {
  return label.substr(0, kHeatmapLabelChars);
}

}  // namespace engine::render
