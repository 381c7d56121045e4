// The colour scales of heatmap cells and the tick labels of the colour bar that explains them.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "cli/render/heatmap.hpp"

namespace engine::render {

/// A tick of the colour bar: its position on the ramp (0 bottom, 1 top) and its label.
struct BarTick {
  float position;
  std::string label;
};

/// The ramp positions of `values` ((rows, cols), row-major, none NaN) under `scale`.
std::vector<float> scaled_values(std::span<const float> values, int rows, int cols,
                                 HeatmapScale scale);

/// The ticks of the colour bar of `scale`, top to bottom.
std::vector<BarTick> bar_ticks(HeatmapScale scale);

}  // namespace engine::render
