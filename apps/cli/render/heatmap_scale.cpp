// Colour scales: linear, log10 over four decades, and per row. A log scale shows the small but
// nonzero weights of spread-out attention that a linear one draws as white; a per-row scale
// shows where each query looks most however flat its row is.
#include "cli/render/heatmap_scale.hpp"

#include <algorithm>
#include <cmath>

namespace engine::render {
namespace {

constexpr float kLogDecades = 4.0f;  // the log scale's range: 1e-4 .. 1

}  // namespace

std::vector<float> scaled_values(std::span<const float> values, int rows, int cols,
                                 HeatmapScale scale) {
  std::vector<float> out(values.begin(), values.end());
  for (int r = 0; r < rows; ++r) {
    const std::span<float> row = std::span(out).subspan(static_cast<std::size_t>(r) * cols, cols);
    const float row_max = *std::max_element(row.begin(), row.end());
    for (float& v : row) {
      if (scale == HeatmapScale::log)
        v = v > 0 ? std::clamp(1.0f + std::log10(v) / kLogDecades, 0.0f, 1.0f) : 0.0f;
      else if (scale == HeatmapScale::row)
        v = row_max > 0 ? v / row_max : 0.0f;
    }
  }
  return out;
}

std::vector<BarTick> bar_ticks(HeatmapScale scale) {
  switch (scale) {
    case HeatmapScale::log:
      return {{1.0f, "1"}, {0.75f, "0.1"}, {0.5f, "0.01"}, {0.25f, "0.001"}, {0.0f, "1E-4"}};
    case HeatmapScale::row:
      return {{1.0f, "ROW MAX"}, {0.5f, "MAX/2"}, {0.0f, "0"}};
    case HeatmapScale::linear:
      break;
  }
  return {{1.0f, "1"}, {0.75f, "0.75"}, {0.5f, "0.5"}, {0.25f, "0.25"}, {0.0f, "0"}};
}

}  // namespace engine::render
