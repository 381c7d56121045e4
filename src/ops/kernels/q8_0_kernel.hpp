// The Q8_0 decode kernel on weights in panels of 32 rows (ops/formats/q8_0_panels.hpp) times x
// quantised per 32 values by quantize_q8. Each lane of a vector is one weight row: one vpdpbusd
// (dot_u8x4) of a step's 4 quants of 16 rows with 4 of x's, broadcast, sums those values for the
// 16 rows, so a weight load serves every row of x and a block costs a row of x 8 integer
// operations per 16 rows plus its scales, applied once. The quants are stored + 128 (unsigned),
// so each integer sum starts at -128 times x's sum over the block (q8_sums, once per input).
// The results are the dot products of the dequantised weights with the dequantised x: integers
// exact, each block's two scales applied once in f32, each output one chain over the blocks
// whatever the batch.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

/// y (M, ldy) = x times `rows` rows of Q8_0 panels from w (a panel's first row), up to kCols rows
/// of x (every decode batch) in one sweep over each panel: kChunk blocks at a time, each chunk
/// passed over once per kGroup rows of x (whose integer sums fill the registers). The first pass
/// over a chunk reads ahead of it and the others find it in L1, so memory keeps streaming while
/// the other groups compute: a whole panel per group would leave memory idle for all but one.
struct Q8_0PanelRows {
  static constexpr std::size_t kRows = engine::kQ8DecodePanelRows, kCols = 16;
  static constexpr std::size_t kGroup = kTileCols, kChunk = 4;
  static constexpr std::size_t kVectors = std::min<std::size_t>(2, kRows / Vec::kWidth);
  static constexpr std::size_t kPass = kVectors * Vec::kWidth;  // weight rows per pass
  static_assert(kRows % kPass == 0);
  const std::uint8_t* w;
  QuantizedX x;
  float* y;
  std::size_t rows, ldy;

  template <std::size_t C>
  void run(std::size_t panel, std::size_t m) const {
    const std::size_t blocks = x.cols / 32;
    const std::uint8_t* first = w + panel * engine::q8_decode_panel_bytes(x.cols);
    for (std::size_t lane = 0; lane < kRows && panel * kRows + lane < rows; lane += kPass) {
      Vec::Reg acc[kVectors][C];
      for (auto& row : acc)
        for (auto& a : row) a = Vec::zero();
      for (std::size_t b = 0; b < blocks; b += kChunk) {
        const std::size_t end = std::min(blocks, b + kChunk);
        std::size_t g = 0;
        if constexpr (C >= kGroup)
          for (; g + kGroup <= C; g += kGroup)
            pass<kGroup>(first, lane, rows_of_x(m + g), b, end, g, acc);
        if constexpr (C % kGroup != 0)
          pass<C % kGroup>(first, lane, rows_of_x(m + g), b, end, g, acc);
      }
      for (std::size_t v = 0; v < kVectors; ++v) {
        const std::size_t at = panel * kRows + lane + v * Vec::kWidth;
        if (at >= rows) break;
        const std::size_t n = std::min<std::size_t>(Vec::kWidth, rows - at);
        for (std::size_t c = 0; c < C; ++c) store_n(y + (m + c) * ldy + at, acc[v][c], n);
      }
    }
  }

  /// x from row m on.
  QuantizedX rows_of_x(std::size_t m) const {
    return {x.q + m * x.cols, x.d + m * (x.cols / 32), x.sums16 + m * (x.cols / 16),
            x.dsums32 + m * (x.cols / 32), x.cols};
  }

  /// Blocks [b, end) of weight rows lane to lane + kPass times G rows of x (acc's from g on),
  /// their sums in registers meanwhile. The pass of the first group reads ahead.
  template <std::size_t G, std::size_t C>
  static void pass(const std::uint8_t* first, std::size_t lane, const QuantizedX& x, std::size_t b,
                   std::size_t end, std::size_t g, Vec::Reg (&acc)[kVectors][C]) {
    Vec::Reg sums[kVectors][G];
    for (std::size_t v = 0; v < kVectors; ++v)
      for (std::size_t c = 0; c < G; ++c) sums[v][c] = acc[v][g + c];
    for (; b < end; ++b) {
      const std::uint8_t* p = first + b * engine::kQ8DecodeBlockBytes;
      if (g == 0 && lane == 0) read_ahead(p);
      block<G>(p, lane, x, b, sums);
    }
    for (std::size_t v = 0; v < kVectors; ++v)
      for (std::size_t c = 0; c < G; ++c) acc[v][g + c] = sums[v][c];
  }

  /// Block b of weight rows lane to lane + kPass of the panel block at p times G rows of x.
  template <std::size_t G>
  static void block(const std::uint8_t* p, std::size_t lane, const QuantizedX& x, std::size_t b,
                    Vec::Reg (&acc)[kVectors][G]) {
    Vec::I32 sum[kVectors][G];
    for (std::size_t c = 0; c < G; ++c) {
      const Vec::I32 start = Vec::i32_set1(-128 * x.sum32(c, b));
      for (auto& s : sum) s[c] = start;
    }
    const std::uint8_t* quants = p + engine::kQ8DecodeScaleBytes + 4 * lane;
    for (std::size_t s = 0; s < engine::kQ8PanelSteps; ++s)
      for (std::size_t v = 0; v < kVectors; ++v) {
        const Vec::I32 q =
            Vec::i32_load(quants + s * engine::kQ8DecodeStepBytes + 4 * v * Vec::kWidth);
        for (std::size_t c = 0; c < G; ++c)
          sum[v][c] = Vec::dot_u8x4(sum[v][c], q, x.quads(c, 32 * b + 4 * s));
      }
    const auto* scales = reinterpret_cast<const std::uint16_t*>(p) + lane;
    for (std::size_t v = 0; v < kVectors; ++v) {
      const Vec::Reg d = Vec::load_f16(scales + v * Vec::kWidth);
      for (std::size_t c = 0; c < G; ++c)
        acc[v][c] = Vec::fmadd(Vec::mul(d, Vec::set1(x.scale(c, b))), Vec::i32_to_f32(sum[v][c]),
                               acc[v][c]);
    }
  }

  /// Before a block at p: its lines prefetched kAheadBytes on (in harnesses over the 110M shape's
  /// matrices the fastest distance for 1 and for 8 rows of x; 8 KB slowed 1 row, 4 KB 8 rows).
  static constexpr std::size_t kAheadBytes = 6144;
  static void read_ahead(const std::uint8_t* p) {
    for (std::size_t at = 0; at < engine::kQ8DecodeBlockBytes; at += 64)
      Vec::prefetch(p + kAheadBytes + at);
  }
};
