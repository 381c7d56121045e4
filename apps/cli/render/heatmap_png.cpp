// Heatmap PNGs: the colour ramp and the drawing of the title, cells, grid, numbers, token labels
// and the colour bar or legend, where heatmap_layout puts them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cli/render/bitmap_font.hpp"
#include "cli/render/heatmap.hpp"
#include "cli/render/heatmap_metrics.hpp"
#include "cli/render/heatmap_scale.hpp"
#include "cli/render/rgb_image.hpp"
#include "engine/error.hpp"

namespace engine {
namespace render {
namespace {

// Colour stops of the ramp at 0, 1/4, 1/2, 3/4, 1 (matplotlib's "Blues"): white to dark blue.
constexpr Rgb kRamp[] = {
    {247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};

/// Draws the ticks and numbers of every step-th row and column, the token labels when they fit,
/// and the two axis titles.
void draw_axes(RgbImage& image, const HeatmapLayout& l, int rows, int cols,
               const HeatmapStyle& style) {
  const int grid_w = cols * l.cell, grid_h = rows * l.cell;
  const int inner = l.cell - l.grid_line;
  for (int c = 0; c < cols; ++c) {
    const int x = l.grid_x + c * l.cell + inner / 2, y = l.grid_y - l.grid_line - kTick;
    if (c % l.col_label_step == 0) {
      const std::string number = std::to_string(c);
      image.fill(x, y, 1, kTick, kInk);
      draw_text(image, x - text_length(number, kLabelScale) / 2, y - kLabelGap - kLabelHeight,
                number, kLabelScale, kInk);
    }
    if (l.column_labels_height)  // runs upwards from just above the numbers
      draw_text(image, x - kLabelHeight / 2, l.column_labels_y + l.column_labels_height,
                shown_label(style.column_labels[c]), kLabelScale, kInk, TextDirection::up);
  }
  for (int r = 0; r < rows; ++r) {
    const int x = l.grid_x - l.grid_line - kTick, y = l.grid_y + r * l.cell + inner / 2;
    if (r % l.row_label_step == 0) {
      const std::string number = std::to_string(r);
      image.fill(x, y, kTick, 1, kInk);
      draw_text(image, x - kLabelGap - text_length(number, kLabelScale), y - kLabelHeight / 2,
                number, kLabelScale, kInk);
    }
    if (l.row_labels_width) {  // right-aligned against the numbers
      const std::string_view label = shown_label(style.row_labels[r]);
      draw_text(image, l.row_labels_x + l.row_labels_width - text_length(label, kLabelScale),
                y - kLabelHeight / 2, label, kLabelScale, kInk);
    }
  }
  // Axis titles: centred on their axis when it is long enough, else starting where it starts.
  const int key_length = text_length(kKeyTitle, kLabelScale);
  const int query_length = text_length(kQueryTitle, kLabelScale);
  const int key_y = l.column_labels_y - kPad - kLabelHeight;
  draw_text(image, l.grid_x + std::max(0, (grid_w - key_length) / 2), key_y, kKeyTitle, kLabelScale,
            kInk);
  draw_text(image, kPad, l.grid_y + std::max(0, (grid_h - query_length) / 2) + query_length,
            kQueryTitle, kLabelScale, kInk, TextDirection::up);
}

/// A framed square of `colour` at (x, y) with `label` to its right.
void draw_swatch(RgbImage& image, int x, int y, Rgb colour, std::string_view label) {
  image.fill(x - 1, y - 1, kBarWidth + 2, kBarWidth + 2, kInk);
  image.fill(x, y, kBarWidth, kBarWidth, colour);
  draw_text(image, x + kBarWidth + 1 + kTick + kLabelGap, y + (kBarWidth - kLabelHeight) / 2, label,
            kLabelScale, kInk);
}

/// The colour bar (the ramp from 1 at the top to 0 at the bottom, framed, with the scale's
/// ticks) and the legend's swatches below it.
void draw_legend(RgbImage& image, const HeatmapLayout& l, const HeatmapStyle& style,
                 bool mask_picture) {
  if (l.bar_height > 0) {
    image.fill(l.bar_x - 1, l.bar_y - 1, l.bar_width + 2, l.bar_height + 2, kInk);
    const int last = std::max(l.bar_height - 1, 1);
    for (int y = 0; y < l.bar_height; ++y)
      image.fill(l.bar_x, l.bar_y + y, l.bar_width, 1,
                 heatmap_colour(1.0f - static_cast<float>(y) / static_cast<float>(last)));
    for (const BarTick& tick : bar_ticks(style.scale)) {
      const int x = l.bar_x + l.bar_width + 1;
      const int y = l.bar_y + static_cast<int>(std::lround((1.0f - tick.position) * last));
      image.fill(x, y, kTick, 1, kInk);
      draw_text(image, x + kTick + kLabelGap, y - kLabelHeight / 2, tick.label, kLabelScale, kInk);
    }
  }
  int y = l.swatches_y;
  if (mask_picture) {
    draw_swatch(image, l.bar_x, y, heatmap_colour(1.0f), kAllowedLabel);
    y += kBarWidth + kPad;
  }
  if (mask_picture || style.mask)
    draw_swatch(image, l.bar_x, y, kHeatmapMaskedColour, kMaskedLabel);
}

/// The whole picture of `values` (already on the ramp, in [0, 1]).
void draw_heatmap(const std::string& path, std::span<const float> ramp, int rows, int cols,
                  const HeatmapStyle& style, bool mask_picture) {
  const HeatmapLayout l = heatmap_layout(rows, cols, style, mask_picture);
  RgbImage image(l.width, l.height, kBackground);
  draw_text(image, kPad, kPad, style.title, kLabelScale, kInk);
  // The grid-line colour under the whole grid shows through the gaps between cells.
  image.fill(l.grid_x - l.grid_line, l.grid_y - l.grid_line, cols * l.cell + l.grid_line,
             rows * l.cell + l.grid_line, kGridLine);
  const int inner = l.cell - l.grid_line;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const bool masked = style.mask && !style.mask->at(r, c);
      image.fill(l.grid_x + c * l.cell, l.grid_y + r * l.cell, inner, inner,
                 masked ? kHeatmapMaskedColour
                        : heatmap_colour(ramp[static_cast<std::size_t>(r) * cols + c]));
    }
  draw_axes(image, l, rows, cols, style);
  draw_legend(image, l, style, mask_picture);
  image.save_png(path);
}

}  // namespace
}  // namespace render

Rgb heatmap_colour(float value) {
  if (std::isnan(value)) throw Error(ErrorCode::invalid_argument, "heatmap value is NaN");
  const float t = std::clamp(value, 0.0f, 1.0f) * 4.0f;
  const int i = std::min(static_cast<int>(t), 3);
  const float f = t - static_cast<float>(i);
  const auto mix = [f](std::uint8_t a, std::uint8_t b) {
    return static_cast<std::uint8_t>(std::lround(a + (b - a) * f));
  };
  const Rgb a = render::kRamp[i], b = render::kRamp[i + 1];
  return {mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

void write_heatmap_png(const std::string& path, std::span<const float> values, int rows, int cols,
                       const HeatmapStyle& style) {
  heatmap_layout(rows, cols, style);  // checks the shape and the labels first
  if (values.size() != static_cast<std::size_t>(rows) * cols)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a ({}, {}) heatmap needs {} values, got {}", rows, cols,
                            static_cast<std::size_t>(rows) * cols, values.size()));
  if (std::any_of(values.begin(), values.end(), [](float v) { return std::isnan(v); }))
    throw Error(ErrorCode::invalid_argument, "heatmap value is NaN");
  if (style.mask && (style.mask->rows() != rows || style.mask->cols() != cols))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a ({}, {}) heatmap cannot take a ({}, {}) mask", rows, cols,
                            style.mask->rows(), style.mask->cols()));
  render::draw_heatmap(path, render::scaled_values(values, rows, cols, style.scale), rows, cols,
                       style, false);
}

void write_heatmap_png(const std::string& path, const Mask& mask, const std::string& title) {
  // Every cell at 1: the mask turns the ones it masks grey.
  const std::vector<float> ones(static_cast<std::size_t>(mask.rows()) * mask.cols(), 1.0f);
  HeatmapStyle style;
  style.title = title;
  style.mask = &mask;
  render::draw_heatmap(path, ones, mask.rows(), mask.cols(), style, true);
}

}  // namespace engine
