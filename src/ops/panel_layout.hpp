// The layout of weights packed for blocks of rows (ops/panel_matmul.hpp) and of the block's
// rows as the panel kernels read them.
#pragma once

#include <cstddef>

namespace engine {

/// Output features per panel: an f32 panel is (cols, kPanelWidth), row k holding feature j's
/// weight k at j, so one step of k loads two AVX-512 registers of consecutive features.
constexpr std::size_t kPanelWidth = 32;
/// Rows of the block per tile: a tile is (cols, rows) k-major, its rows' values of step k
/// side by side. 12 rows x 2 registers of accumulators, the panel's two and a broadcast take 27
/// of AVX-512's 32 registers (14 rows measured no faster).
constexpr std::size_t kPanelTileRows = 12;

/// Values per Q8 block (Q8_0 weights, x quantised for them).
constexpr std::size_t kQ8Block = 32;

/// Q8_0 panels (the layout a load gives Q8_0 weights, which the decode kernel reads too:
/// ops/formats/q8_0_panels.hpp): per block of 32 values of k, the kPanelWidth features' scales
/// of the block as f16, then kQ8PanelSteps steps of 4 values, step s holding feature j's 4
/// quants (k = 32b + 4s ...) as unsigned bytes (quant + 128) at 4j: one vpdpbusd per register
/// of features.
constexpr std::size_t kQ8PanelSteps = 8;
constexpr std::size_t kQ8PanelScaleBytes = kPanelWidth * 2;
constexpr std::size_t kQ8PanelStepBytes = 4 * kPanelWidth;
constexpr std::size_t kQ8PanelQuantBytes = kQ8PanelSteps * kQ8PanelStepBytes;
constexpr std::size_t kQ8PanelBlockBytes = kQ8PanelScaleBytes + kQ8PanelQuantBytes;

/// A block's rows for Q8_0 panels, quantised per 32 values as for the Q8_0 decode kernel, in
/// tiles of kPanelTileRows rows: per block of k, for a tile of n rows, the n rows' 4 int8 of each
/// step side by side (kQ8PanelSteps x n int32), then per row -128 times the sum of its block (the
/// start of the block's integer sum: the panel's bytes are quant + 128), then per row its scale
/// (f32). Row-block bytes:
constexpr std::size_t kQ8TileRowBlockBytes = 4 * kQ8PanelSteps + 4 + 4;

}  // namespace engine
