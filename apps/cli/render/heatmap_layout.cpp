// heatmap_layout: the cell size, the margins for the title, axis titles, token labels and
// numbers, and the place of the colour bar or legend to the right of the grid.
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "cli/render/heatmap.hpp"
#include "cli/render/heatmap_metrics.hpp"
#include "cli/render/heatmap_scale.hpp"
#include "engine/error.hpp"

namespace engine {
namespace render {
namespace {

/// The smallest of 1, 2, 5, 10, 20, 50, ... positions whose span of cells is at least `need` px.
int label_step(int cell, int need) {
  int step = 1;
  for (int i = 0; step * cell < need; ++i) step = i % 3 == 1 ? step * 5 / 2 : step * 2;
  return step;
}

/// The length in px of the longest number of an axis of `positions` positions.
int longest_number(int positions) {
  return text_length(std::to_string(positions - 1), kLabelScale);
}

/// The length in px of the longest of `labels` as drawn (0 for none).
int longest_label(const std::vector<std::string>& labels) {
  int longest = 0;
  for (const std::string& label : labels)
    longest = std::max(longest, text_length(shown_label(label), kLabelScale));
  return longest;
}

void check_labels(const std::vector<std::string>& labels, int positions, const char* axis) {
  if (!labels.empty() && static_cast<int>(labels.size()) != positions)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a heatmap with {} {} needs as many {} labels, got {}", positions, axis,
                            axis, labels.size()));
}

/// Swatches of the legend: a mask's picture explains both colours, a value map with a mask
/// only the masked one.
int swatch_count(const HeatmapStyle& style, bool mask_picture) {
  return mask_picture ? 2 : style.mask ? 1 : 0;
}

/// The width in px of the labels right of the colour bar and the swatches.
int legend_label_width(const HeatmapStyle& style, bool mask_picture) {
  int width = text_length(kMaskedLabel, kLabelScale);
  if (mask_picture) return std::max(width, text_length(kAllowedLabel, kLabelScale));
  for (const BarTick& tick : bar_ticks(style.scale))
    width = std::max(width, text_length(tick.label, kLabelScale));
  return width;
}

}  // namespace
}  // namespace render

HeatmapLayout heatmap_layout(int rows, int cols, const HeatmapStyle& style, bool mask_picture) {
  using namespace render;  // the shared metrics and the helpers above
  if (rows < 1 || cols < 1)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("a heatmap needs at least one row and column, got ({}, {})", rows, cols));
  check_labels(style.row_labels, rows, "row");
  check_labels(style.column_labels, cols, "column");
  HeatmapLayout l;
  l.cell = std::clamp(kGridBudget / std::max(rows, cols), 1, kMaxCell);
  l.grid_line = l.cell >= 6 ? 1 : 0;  // below that a line would eat most of the cell
  l.row_label_step = label_step(l.cell, kLabelHeight + kLabelGap);
  l.col_label_step = label_step(l.cell, longest_number(cols) + 2 * kLabelGap);
  // A token label needs a whole cell per line of text: then every position gets one.
  l.token_labels = (!style.row_labels.empty() || !style.column_labels.empty()) &&
                   l.cell >= kLabelHeight + kLabelGap;
  if (l.token_labels) {
    l.row_labels_width = longest_label(style.row_labels);
    l.column_labels_height = longest_label(style.column_labels);
  }
  const int row_labels_room = l.row_labels_width ? l.row_labels_width + kPad : 0;
  const int column_labels_room = l.column_labels_height ? l.column_labels_height + kPad : 0;
  const int title_room = style.title.empty() ? 0 : kLabelHeight + kPad;
  const int axis_room = kLabelGap + kTick + l.grid_line;

  // Left: vertical axis title, token labels, numbers, ticks. Top: title, axis title, token
  // labels (running upwards), numbers, ticks.
  l.row_labels_x = kPad + kLabelHeight + kPad;
  l.grid_x = l.row_labels_x + row_labels_room + longest_number(rows) + axis_room;
  l.column_labels_y = kPad + title_room + kLabelHeight + kPad;
  l.grid_y = l.column_labels_y + column_labels_room + kLabelHeight + axis_room;
  const int grid_w = cols * l.cell, grid_h = rows * l.cell;
  // Right of the grid: a number or axis title that sticks out past a small grid, then the bar.
  const int grid_right =
      l.grid_x + std::max(grid_w + longest_number(cols) / 2, text_length(kKeyTitle, kLabelScale));
  const int grid_bottom =
      l.grid_y + std::max(grid_h + kLabelHeight / 2, text_length(kQueryTitle, kLabelScale));

  l.bar_x = grid_right + kBarGap;
  l.bar_y = l.grid_y;
  l.bar_width = kBarWidth;
  l.bar_height = mask_picture ? 0 : std::max(grid_h, kBarMinHeight);
  l.swatches_y = l.bar_height ? l.bar_y + l.bar_height + 3 * kPad : l.bar_y;
  const int swatches = swatch_count(style, mask_picture);
  const int legend_bottom = swatches ? l.swatches_y + swatches * (kBarWidth + kPad)
                                     : l.bar_y + l.bar_height + kLabelHeight / 2;
  const int legend_right =
      l.bar_x + kBarWidth + 1 + kTick + kLabelGap + legend_label_width(style, mask_picture);

  l.width = std::max(legend_right, kPad + text_length(style.title, kLabelScale)) + kPad;
  l.height = std::max(grid_bottom, legend_bottom) + kPad;
  return l;
}

}  // namespace engine
