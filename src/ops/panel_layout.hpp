// The layout of f32 weights packed for blocks of rows (ops/panel_matmul.hpp) and of the block's
// rows as the panel kernel reads them.
#pragma once

#include <cstddef>

namespace engine {

/// Output features per panel: a panel is (cols, kPanelWidth), row k holding feature j's weight
/// k at j, so one step of k loads two AVX-512 registers of consecutive features.
constexpr std::size_t kPanelWidth = 32;
/// Rows of the block per tile: a tile is (cols, rows) k-major, its rows' values of step k
/// side by side. 12 rows x 2 registers of accumulators, the panel's two and a broadcast take 27
/// of AVX-512's 32 registers (14 rows measured no faster).
constexpr std::size_t kPanelTileRows = 12;

}  // namespace engine
