// The layout a load gives the ggml block types' weights (Q4_0 ... Q6_K): panels of kBlockPanelRows
// rows, each block of a panel the file blocks of its rows with their bytes interleaved: every run
// of a block's bytes goes unit by unit, the unit of each row side by side. A decode kernel then
// loads the same 4 quant bytes of 16 rows (or the same scale of 16 rows) with one 64-byte (16-byte)
// load: one integer lane per row, so the integer sums of a whole sub-block and its scale are one
// vector operation for 16 rows, not per row. The layout only moves bytes, so a panel block is as
// big as its rows' file blocks and reads back to them exactly. Rows past the last (to a whole
// panel) are zeros.
#pragma once

#include <cstddef>

namespace engine::formats {

constexpr std::size_t kBlockPanelRows = 16;

/// Bytes [first, first + bytes) of a file block, which go to a panel block `unit` bytes at a
/// time: from kBlockPanelRows * first on, unit k of row r at (k * kBlockPanelRows + r) * unit.
struct PanelRun {
  std::size_t first, bytes, unit;
};

// Each layout: the runs of its file block (ggml_blocks.hpp) and where the kernels find each run
// in a panel block (kBlockPanelRows times the run's first byte).
struct Q4_0Panel {  // d (f16), 16 bytes of nibbles (byte i: values i and i + 16)
  static constexpr std::size_t kBytes = 18;
  static constexpr PanelRun kRuns[] = {{0, 2, 2}, {2, 16, 4}};
  static constexpr std::size_t kD = 0, kQuants = 32;
};
struct Q4_1Panel {  // d, m (f16), 16 bytes of nibbles
  static constexpr std::size_t kBytes = 20;
  static constexpr PanelRun kRuns[] = {{0, 2, 2}, {2, 2, 2}, {4, 16, 4}};
  static constexpr std::size_t kD = 0, kM = 32, kQuants = 64;
};
struct Q5_0Panel {  // d (f16), the 32 fifth bits (u32), 16 bytes of nibbles
  static constexpr std::size_t kBytes = 22;
  static constexpr PanelRun kRuns[] = {{0, 2, 2}, {2, 4, 4}, {6, 16, 4}};
  static constexpr std::size_t kD = 0, kHigh = 32, kQuants = 96;
};
struct Q5_1Panel {  // d, m (f16), the 32 fifth bits (u32), 16 bytes of nibbles
  static constexpr std::size_t kBytes = 24;
  static constexpr PanelRun kRuns[] = {{0, 2, 2}, {2, 2, 2}, {4, 4, 4}, {8, 16, 4}};
  static constexpr std::size_t kD = 0, kM = 32, kHigh = 64, kQuants = 128;
};
struct Q2_KPanel {  // 16 bytes of (scale, min) nibbles, 64 of 2-bit quants, d, dmin (f16)
  static constexpr std::size_t kBytes = 84;
  static constexpr PanelRun kRuns[] = {{0, 16, 1}, {16, 64, 4}, {80, 2, 2}, {82, 2, 2}};
  static constexpr std::size_t kScales = 0, kQuants = 256, kD = 1280, kDMin = 1312;
};
struct Q3_KPanel {  // 32 bytes of third bits, 64 of 2-bit quants, 12 of 6-bit scales, d
  static constexpr std::size_t kBytes = 110;
  static constexpr PanelRun kRuns[] = {{0, 32, 4}, {32, 64, 4}, {96, 12, 1}, {108, 2, 2}};
  static constexpr std::size_t kHigh = 0, kQuants = 512, kScales = 1536, kD = 1728;
};
struct Q4_KPanel {  // d, dmin (f16), 12 bytes of 6-bit scales and mins, 128 bytes of nibbles
  static constexpr std::size_t kBytes = 144;
  static constexpr PanelRun kRuns[] = {{0, 2, 2}, {2, 2, 2}, {4, 12, 1}, {16, 128, 4}};
  static constexpr std::size_t kD = 0, kDMin = 32, kScales = 64, kQuants = 256;
};
struct Q5_KPanel {  // Q4_K's, with 32 bytes of fifth bits before the nibbles
  static constexpr std::size_t kBytes = 176;
  static constexpr PanelRun kRuns[] = {{0, 2, 2}, {2, 2, 2}, {4, 12, 1}, {16, 32, 4}, {48, 128, 4}};
  static constexpr std::size_t kD = 0, kDMin = 32, kScales = 64, kHigh = 256, kQuants = 768;
};
struct Q6_KPanel {  // 128 bytes of low nibbles, 64 of high 2-bit pairs, 16 int8 scales, d
  static constexpr std::size_t kBytes = 210;
  static constexpr PanelRun kRuns[] = {{0, 128, 4}, {128, 64, 4}, {192, 16, 1}, {208, 2, 2}};
  static constexpr std::size_t kLow = 0, kHigh = 2048, kScales = 3072, kD = 3328;
};

}  // namespace engine::formats
