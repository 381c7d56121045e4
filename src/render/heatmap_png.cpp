// Heatmap PNGs: the layout (cell size, margins, label spacing), the colour ramp and the drawing
// of cells, grid, ticks and labels.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "engine/render/heatmap.hpp"
#include "render/bitmap_font.hpp"
#include "render/rgb_image.hpp"

namespace engine {
namespace {

using render::draw_text;
using render::text_length;
using render::TextDirection;

constexpr int kMaxCell = 16;       // px a cell: 64 positions fill 1024 px
constexpr int kGridBudget = 1024;  // px the grid aims to fit in along its longer side
constexpr int kLabelScale = 2;     // image px per font px: 6x10 px digits
constexpr int kLabelHeight = render::kGlyphHeight * kLabelScale;
constexpr int kPad = 6;       // px of white around the picture and between its parts
constexpr int kTick = 4;      // px a tick mark sticks out of the grid
constexpr int kLabelGap = 2;  // px between a tick and its label
constexpr const char* kKeyTitle = "KEY";
constexpr const char* kQueryTitle = "QUERY";

constexpr Rgb kBackground{255, 255, 255};
constexpr Rgb kInk{33, 33, 33};
constexpr Rgb kGridLine{190, 190, 190};

// Colour stops of the ramp at 0, 1/4, 1/2, 3/4, 1 (matplotlib's "Blues"): white to dark blue.
constexpr Rgb kRamp[] = {
    {247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};

/// The smallest of 1, 2, 5, 10, 20, 50, ... positions whose span of cells is at least `need` px.
int label_step(int cell, int need) {
  int step = 1;
  for (int i = 0; step * cell < need; ++i) step = i % 3 == 1 ? step * 5 / 2 : step * 2;
  return step;
}

/// The length in px of the longest label of an axis of `positions` positions.
int longest_label(int positions) {
  return text_length(std::to_string(positions - 1), kLabelScale);
}

/// Draws the ticks and labels of every step-th row and column, and the two axis titles.
void draw_axes(render::RgbImage& image, const HeatmapLayout& l, int rows, int cols) {
  const int grid_w = cols * l.cell, grid_h = rows * l.cell;
  const int inner = l.cell - l.grid_line;
  for (int c = 0; c < cols; c += l.col_label_step) {
    const std::string label = std::to_string(c);
    const int x = l.grid_x + c * l.cell + inner / 2, y = l.grid_y - l.grid_line - kTick;
    image.fill(x, y, 1, kTick, kInk);
    draw_text(image, x - text_length(label, kLabelScale) / 2, y - kLabelGap - kLabelHeight, label,
              kLabelScale, kInk);
  }
  for (int r = 0; r < rows; r += l.row_label_step) {
    const std::string label = std::to_string(r);
    const int x = l.grid_x - l.grid_line - kTick, y = l.grid_y + r * l.cell + inner / 2;
    image.fill(x, y, kTick, 1, kInk);
    draw_text(image, x - kLabelGap - text_length(label, kLabelScale), y - kLabelHeight / 2, label,
              kLabelScale, kInk);
  }
  // Titles: centred on their axis when it is long enough, else starting where it starts.
  const int key_length = text_length(kKeyTitle, kLabelScale);
  const int query_length = text_length(kQueryTitle, kLabelScale);
  draw_text(image, l.grid_x + std::max(0, (grid_w - key_length) / 2), kPad, kKeyTitle, kLabelScale,
            kInk);
  draw_text(image, kPad, l.grid_y + std::max(0, (grid_h - query_length) / 2) + query_length,
            kQueryTitle, kLabelScale, kInk, TextDirection::up);
}

}  // namespace

HeatmapLayout heatmap_layout(int rows, int cols) {
  if (rows < 1 || cols < 1)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("a heatmap needs at least one row and column, got ({}, {})", rows, cols));
  HeatmapLayout l;
  l.cell = std::clamp(kGridBudget / std::max(rows, cols), 1, kMaxCell);
  l.grid_line = l.cell >= 6 ? 1 : 0;  // below that a line would eat most of the cell
  l.row_label_step = label_step(l.cell, kLabelHeight + kLabelGap);
  l.col_label_step = label_step(l.cell, longest_label(cols) + 2 * kLabelGap);
  // Left: vertical title, row labels, ticks. Top: title, column labels, ticks.
  const int axis_room = kLabelGap + kTick + l.grid_line;
  l.grid_x = kPad + kLabelHeight + kPad + longest_label(rows) + axis_room;
  l.grid_y = kPad + kLabelHeight + kPad + kLabelHeight + axis_room;
  // Right and bottom: room for a label or title that sticks out past a small grid.
  const int grid_w = cols * l.cell, grid_h = rows * l.cell;
  l.width = l.grid_x +
            std::max(grid_w + longest_label(cols) / 2, text_length(kKeyTitle, kLabelScale)) + kPad;
  l.height =
      l.grid_y + std::max(grid_h + kLabelHeight / 2, text_length(kQueryTitle, kLabelScale)) + kPad;
  return l;
}

Rgb heatmap_colour(float value) {
  if (std::isnan(value)) throw Error(ErrorCode::invalid_argument, "heatmap value is NaN");
  const float t = std::clamp(value, 0.0f, 1.0f) * 4.0f;
  const int i = std::min(static_cast<int>(t), 3);
  const float f = t - static_cast<float>(i);
  const auto mix = [f](std::uint8_t a, std::uint8_t b) {
    return static_cast<std::uint8_t>(std::lround(a + (b - a) * f));
  };
  const Rgb a = kRamp[i], b = kRamp[i + 1];
  return {mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

void write_heatmap_png(const std::string& path, std::span<const float> values, int rows, int cols) {
  const HeatmapLayout l = heatmap_layout(rows, cols);
  if (values.size() != static_cast<std::size_t>(rows) * cols)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a ({}, {}) heatmap needs {} values, got {}", rows, cols,
                            static_cast<std::size_t>(rows) * cols, values.size()));
  render::RgbImage image(l.width, l.height, kBackground);
  // The grid-line colour under the whole grid shows through the gaps between cells.
  image.fill(l.grid_x - l.grid_line, l.grid_y - l.grid_line, cols * l.cell + l.grid_line,
             rows * l.cell + l.grid_line, kGridLine);
  const int inner = l.cell - l.grid_line;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      image.fill(l.grid_x + c * l.cell, l.grid_y + r * l.cell, inner, inner,
                 heatmap_colour(values[static_cast<std::size_t>(r) * cols + c]));
  draw_axes(image, l, rows, cols);
  image.save_png(path);
}

void write_heatmap_png(const std::string& path, const Mask& mask) {
  std::vector<float> values;
  values.reserve(static_cast<std::size_t>(mask.rows()) * mask.cols());
  for (int r = 0; r < mask.rows(); ++r)
    for (std::uint8_t allowed : mask.row(r)) values.push_back(allowed);
  write_heatmap_png(path, values, mask.rows(), mask.cols());
}

}  // namespace engine
