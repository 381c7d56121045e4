// The layout a load gives Q8_0 weights (GGUF's blocks of 32 int8 quants and an f16 scale):
// panels of kQ8DecodePanelRows rows, a panel's blocks one after another, each block of a panel
// 17 cache lines: the rows' f16 scales (row j's at 2j), then kQ8PanelSteps steps of 4 values,
// step s holding row j's quants 4s to 4s + 3 at 4j as unsigned bytes (quant + 128). A decode
// kernel then loads the same 4 quants of 16 rows with one 64-byte load and sums them against 4
// of x's for those 16 rows with one vpdpbusd, so a weight load serves every row of x of a batch,
// and the scales are one vector per 16 rows. Blocks of rows (prefill) run on these very panels
// (ops/panel_layout.hpp): one copy of the weights serves both.
// Rows past the last (to a whole panel) are zeros: scale 0.
#pragma once

#include <cstddef>

#include "ops/panel_layout.hpp"

namespace engine {

constexpr std::size_t kQ8DecodePanelRows = kPanelWidth;
constexpr std::size_t kQ8DecodeScaleBytes = kQ8PanelScaleBytes;  // f16 per row
constexpr std::size_t kQ8DecodeStepBytes = kQ8PanelStepBytes;
constexpr std::size_t kQ8DecodeBlockBytes = kQ8PanelBlockBytes;
static_assert(kQ8DecodeBlockBytes % 64 == 0);

/// Bytes of one panel of rows of `cols` values (a multiple of 32).
constexpr std::size_t q8_decode_panel_bytes(std::size_t cols) {
  return cols / 32 * kQ8DecodeBlockBytes;
}

/// Bytes of a (rows, cols) matrix in panels, padding rows included.
constexpr std::size_t q8_decode_bytes(std::size_t rows, std::size_t cols) {
  return (rows + kQ8DecodePanelRows - 1) / kQ8DecodePanelRows * q8_decode_panel_bytes(cols);
}

/// The offset of the panel block holding block b of row r.
constexpr std::size_t q8_decode_block(std::size_t cols, std::size_t r, std::size_t b) {
  return r / kQ8DecodePanelRows * q8_decode_panel_bytes(cols) + b * kQ8DecodeBlockBytes;
}

}  // namespace engine
