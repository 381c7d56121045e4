// Heatmap PNGs of (rows, cols) matrices in [0, 1]: attention masks and attention probabilities.
// Rows are query positions (labelled down the left side), columns are key positions (labelled
// along the top); 0 is near-white and 1 a strong blue, with a continuous ramp in between.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/attention/mask.hpp"

namespace engine {

/// An 8-bit sRGB colour.
struct Rgb {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  bool operator==(const Rgb&) const = default;
};

/// Where things lie in the heatmap image of a (rows, cols) matrix. Cell (r, c) is the square
/// of side `cell` whose top-left corner is (grid_x + c * cell, grid_y + r * cell); when a 1-px
/// grid line separates cells it is the last column and row of that square.
struct HeatmapLayout {
  int width = 0;           ///< image width in pixels
  int height = 0;          ///< image height in pixels
  int grid_x = 0;          ///< left edge of column 0
  int grid_y = 0;          ///< top edge of row 0
  int cell = 0;            ///< side of one cell in pixels: 16 up to 64x64, smaller beyond
  int grid_line = 0;       ///< 1 when cells are big enough for a grid line between them, else 0
  int row_label_step = 1;  ///< every row_label_step-th query position gets a tick and a label
  int col_label_step = 1;  ///< every col_label_step-th key position gets a tick and a label
};

/// The layout of a (rows, cols) heatmap. Cells shrink from 16 px so the grid stays within
/// about 1024 px (at least 1 px a cell, so beyond 1024 positions the image grows with it);
/// labels are thinned to every 1, 2, 5, 10, 20, 50, ... positions so they never overlap.
/// Throws Error(invalid_argument) unless rows, cols >= 1.
HeatmapLayout heatmap_layout(int rows, int cols);

/// The colour of a value in [0, 1] (values outside are clamped): near-white at 0 through light
/// and mid blue to a strong dark blue at 1. Throws Error(invalid_argument) for NaN.
Rgb heatmap_colour(float value);

/// Writes `values` ((rows, cols), row-major, in [0, 1]) as a heatmap PNG at `path`, laid out
/// as heatmap_layout(rows, cols). Throws Error(invalid_argument) when values.size() is not
/// rows * cols or a value is NaN, Error(io) when the file cannot be written.
void write_heatmap_png(const std::string& path, std::span<const float> values, int rows, int cols);

/// The mask's 0/1 entries as a heatmap PNG: masked = near-white, may attend = strong blue.
void write_heatmap_png(const std::string& path, const Mask& mask);

}  // namespace engine
