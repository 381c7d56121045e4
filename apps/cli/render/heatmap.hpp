// Heatmap PNGs of (rows, cols) matrices in [0, 1]: attention masks and attention probabilities.
// Rows are query positions (labelled down the left side), columns are key positions (labelled
// along the top); 0 is near-white and 1 a strong blue, with a continuous ramp in between. A
// picture has a title above it, a colour bar with its scale to the right of the grid and, when
// the cells are big enough, each position's token next to its number.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/attention/mask.hpp"

namespace engine {

/// An 8-bit sRGB colour.
struct Rgb {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  bool operator==(const Rgb&) const = default;
};

/// The colour of a masked cell: a neutral grey, off the blue ramp, so "masked" never reads as
/// "allowed but near 0".
inline constexpr Rgb kHeatmapMaskedColour{200, 200, 200};

/// How values map onto the colour ramp.
enum class HeatmapScale {
  linear,  ///< value v at ramp position v
  log,     ///< log10 over 4 decades: 1e-4 at 0, 0.01 at 1/2, 1 at 1 (0 and below 1e-4 at 0)
  row,     ///< each row divided by its largest value: where every query looks most, however
           ///< spread out its attention is (a row of zeros stays 0)
};

/// What a picture shows besides its cells. Labels are cut to kHeatmapLabelChars characters and
/// drawn in capitals; characters outside printable ASCII are drawn as '?'.
struct HeatmapStyle {
  std::string title;  ///< above the picture ("": none)
  HeatmapScale scale = HeatmapScale::linear;
  std::vector<std::string> row_labels;     ///< one per row (the query's token), or none
  std::vector<std::string> column_labels;  ///< one per column (the key's token), or none
  const Mask* mask = nullptr;  ///< (rows, cols) or null: cells it masks get the masked colour
};

inline constexpr int kHeatmapLabelChars = 10;

/// Where things lie in the heatmap image of a (rows, cols) matrix. Cell (r, c) is the square
/// of side `cell` whose top-left corner is (grid_x + c * cell, grid_y + r * cell); when a 1-px
/// grid line separates cells it is the last column and row of that square.
struct HeatmapLayout {
  int width = 0;              ///< image width in pixels
  int height = 0;             ///< image height in pixels
  int grid_x = 0;             ///< left edge of column 0
  int grid_y = 0;             ///< top edge of row 0
  int cell = 0;               ///< side of one cell in pixels: 16 up to 64x64, smaller beyond
  int grid_line = 0;          ///< 1 when cells are big enough for a grid line between them, else 0
  int row_label_step = 1;     ///< every row_label_step-th query position gets a tick and a number
  int col_label_step = 1;     ///< every col_label_step-th key position gets a tick and a number
  bool token_labels = false;  ///< the style's labels are drawn (given, and the cells fit them)
  int row_labels_x = 0;       ///< left edge of the column of row labels (tokens), right-aligned
  int row_labels_width = 0;   ///< its width (0 without token labels)
  int column_labels_y = 0;    ///< top edge of the band of column labels, which run upwards
  int column_labels_height = 0;  ///< its height (0 without token labels)
  int bar_x = 0;       ///< left edge of the colour bar: value 1 at its top row, 0 at its bottom
  int bar_y = 0;       ///< top edge of the colour bar (the grid's top)
  int bar_width = 0;   ///< colour bar width
  int bar_height = 0;  ///< colour bar height (0 for a mask's picture, which has swatches)
  int swatches_y = 0;  ///< top edge of the first legend swatch (masked, may attend)
};

/// The layout of a (rows, cols) heatmap drawn with `style` (`mask_picture`: the picture of a
/// mask itself, whose legend is two swatches instead of a colour bar). Cells shrink from 16 px
/// so the grid stays within about 1024 px (at least 1 px a cell, so beyond 1024 positions the
/// image grows with it); numbers are thinned to every 1, 2, 5, 10, 20, 50, ... positions so they
/// never overlap; token labels are drawn only when a cell is as tall as a line of text. Throws
/// Error(invalid_argument) unless rows, cols >= 1 and each label list is empty or one a position.
HeatmapLayout heatmap_layout(int rows, int cols, const HeatmapStyle& style = {},
                             bool mask_picture = false);

/// The colour of a value in [0, 1] (values outside are clamped): near-white at 0 through light
/// and mid blue to a strong dark blue at 1. Throws Error(invalid_argument) for NaN.
Rgb heatmap_colour(float value);

/// Writes `values` ((rows, cols), row-major, in [0, 1]) as a heatmap PNG at `path`, laid out
/// as heatmap_layout(rows, cols, style). Throws Error(invalid_argument) when values.size() is
/// not rows * cols, a value is NaN or the style's mask is not (rows, cols), Error(io) when the
/// file cannot be written.
void write_heatmap_png(const std::string& path, std::span<const float> values, int rows, int cols,
                       const HeatmapStyle& style = {});

/// The mask as a heatmap PNG: may attend = strong blue, masked = the masked grey, with `title`
/// above it and a legend of the two.
void write_heatmap_png(const std::string& path, const Mask& mask, const std::string& title = {});

}  // namespace engine
