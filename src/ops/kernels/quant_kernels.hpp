// Decode kernels for the ggml block types' weights (Q4_0 ... Q6_K) in panels of 16 rows
// (ops/formats/ block_panels.hpp) times x quantised per 32 values by quantize_q8, as Q8_0's: each
// lane of a vector is one weight row, so vpdpbusd (dot_u8x4) of 4 quant bytes of 16 rows with 4 of
// x's broadcast sums a whole sub-block of 16 rows in integers, and its scales, minima and offsets
// are one vector operation per sub-block for those 16 rows. The quants are unsigned (0-15, 0-63):
// the offsets (Q4_0's 8, Q6_K's 32) start each integer sum at minus the offset times x's sum over
// the sub-block, and Q4_K's minima multiply x's sums, both precomputed once per x (q8_sums). The
// results are the dot products of the dequantised weights with the dequantised x: integers
// exact, each sub-block's scales applied once in f32. Blocks of more rows of x than a decode pass
// takes (prompts) unpack each panel once for all of them, two panels per pass (UnpackedPanelRows).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

/// x quantised per 32 values (rows from some m on) and its sums per 16 quants.
struct QuantizedX {
  const std::int8_t* q;        // (rows, cols)
  const float* d;              // (rows, cols / 32)
  const std::int32_t* sums16;  // (rows, cols / 16)
  const float* dsums32;        // (rows, cols / 32): d times the sum of each block's quants
  std::size_t cols;

  /// Quants i to i + 3 of row c, as one dot_u8x4 operand.
  std::int32_t quads(std::size_t c, std::size_t i) const {
    std::int32_t v;
    std::memcpy(&v, q + c * cols + i, sizeof v);
    return v;
  }
  float scale(std::size_t c, std::size_t block) const { return d[c * (cols / 32) + block]; }
  std::int32_t sum16(std::size_t c, std::size_t j) const { return sums16[c * (cols / 16) + j]; }
  std::int32_t sum32(std::size_t c, std::size_t block) const {
    return sum16(c, 2 * block) + sum16(c, 2 * block + 1);
  }
  float dsum32(std::size_t c, std::size_t block) const { return dsums32[c * (cols / 32) + block]; }
};

/// The I32 of a panel's 64-byte (16 rows x 4 bytes) unit at p for the lanes from row `lane`.
inline Vec::I32 panel_quads(const std::uint8_t* p, std::size_t lane) {
  return Vec::i32_load(p + 4 * lane);
}
/// The lanes' f16 values of a panel's run of 16 (one per row) at p.
inline Vec::Reg panel_halves(const std::uint8_t* p, std::size_t lane) {
  return Vec::load_f16(reinterpret_cast<const std::uint16_t*>(p) + lane);
}
constexpr std::int32_t kNibbles = 0x0F0F0F0F;
/// Bits `from` on of each byte of v moved to bit `to` on, keeping those in `mask` (in place).
inline Vec::I32 moved_bits(Vec::I32 v, std::size_t from, std::size_t to, std::int32_t mask) {
  return from < to ? Vec::i32_bits(Vec::i32_shl(v, static_cast<int>(to - from)), 0, mask)
                   : Vec::i32_bits(v, static_cast<int>(from - to), mask);
}
/// Rows of x per pass over a panel in decode: with 32 registers 8 (each unpacked weight vector
/// serves 8 rows; their integer sums still fit), else kTileCols.
constexpr std::size_t kPanelCols = Vec::kRegisters >= 32 ? 8 : kTileCols;

/// Step s of V groups of lanes, steps(v, s) each.
template <std::size_t V>
struct PanelSteps {
  Vec::I32 q[V];
  template <typename Steps>
  PanelSteps(const Steps& steps, std::size_t s) {
    for (std::size_t v = 0; v < V; ++v) q[v] = steps(v, s);
  }
  const Vec::I32& operator[](std::size_t v) const { return q[v]; }
};

/// Both (V, C) sums at zero.
template <std::size_t V, std::size_t C>
inline void zero_sums(Vec::Reg (&a)[V][C], Vec::Reg (&b)[V][C]) {
  for (std::size_t v = 0; v < V; ++v)
    for (std::size_t c = 0; c < C; ++c) a[v][c] = b[v][c] = Vec::zero();
}

// Each format's block in two parts: step(s), the unsigned quants of values 4s to 4s + 3 of the
// lanes' rows unpacked from the panel, and block(), the integer sums of those steps against x
// and the block's scales. block() takes the steps from a function: the decode kernel unpacks them
// from the panel as it goes, the prompt kernel reads them from a panel unpacked once for every
// row of x. Both run the same sums, so a token gives the same result in a prompt as alone.

/// The blocks of 32 (Q4_0, Q4_1, Q5_0, Q5_1): value d (q - kOffset) + m, q a nibble (and a
/// fifth bit: bit i of the block's u32 of fifth bits is value i's), m Q4_1's and Q5_1's. A panel
/// block is one block of 32 per row.
template <typename PanelLayout, std::int32_t kOffset, bool kFifthBit, bool kMin>
struct Block32Panels {
  using Layout = PanelLayout;
  static constexpr std::size_t kValues = 32;
  static constexpr std::size_t kPromptCols = Vec::kRegisters >= 32 ? 6 : 2;
  /// Unit s % 4 holds values 4s to 4s + 3 in its low nibbles (s < 4) or high ones; their fifth
  /// bits 4s to 4s + 3 are spread to bit 4 of byte 0 to 3 (times 1 + 2^7 + 2^14 + 2^21 puts
  /// bit i at 8i, the copies apart without carries).
  static Vec::I32 step(const std::uint8_t* p, std::size_t lane, std::size_t s) {
    const Vec::I32 low = Vec::i32_bits(panel_quads(p + Layout::kQuants + 64 * (s % 4), lane),
                                       static_cast<int>(4 * (s / 4)), kNibbles);
    if constexpr (!kFifthBit) {
      return low;
    } else {
      const Vec::I32 bits =
          Vec::i32_bits(panel_quads(p + Layout::kHigh, lane), static_cast<int>(4 * s), 0xF);
      const Vec::I32 spread =
          Vec::i32_bits(Vec::i32_mul(bits, Vec::i32_set1(0x00204081)), 0, 0x01010101);
      return Vec::i32_or(low, Vec::i32_shl(spread, 4));
    }
  }
  template <std::size_t V, std::size_t C, typename Steps>
  static void block(const std::uint8_t* const (&p)[V], std::size_t lane, const QuantizedX& x,
                    std::size_t b, const Steps& steps, Vec::Reg (&acc)[V][C]) {
    Vec::I32 sum[V][C];
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t v = 0; v < V; ++v) sum[v][c] = Vec::i32_set1(-kOffset * x.sum32(c, b));
#pragma GCC unroll 8
    for (std::size_t s = 0; s < 8; ++s) {
      const PanelSteps<V> q(steps, s);
      for (std::size_t c = 0; c < C; ++c) {
        const std::int32_t xq = x.quads(c, 32 * b + 4 * s);
        for (std::size_t v = 0; v < V; ++v) sum[v][c] = Vec::dot_u8x4(sum[v][c], q[v], xq);
      }
    }
    for (std::size_t v = 0; v < V; ++v) {
      const Vec::Reg d = panel_halves(p[v] + Layout::kD, lane);
      for (std::size_t c = 0; c < C; ++c)
        acc[v][c] = Vec::fmadd(Vec::mul(d, Vec::set1(x.scale(c, b))), Vec::i32_to_f32(sum[v][c]),
                               acc[v][c]);
      if constexpr (kMin) {
        const Vec::Reg m = panel_halves(p[v] + Layout::kM, lane);
        for (std::size_t c = 0; c < C; ++c)
          acc[v][c] = Vec::fmadd(m, Vec::set1(x.dsum32(c, b)), acc[v][c]);
      }
    }
  }
};

using Q4_0Panels = Block32Panels<engine::formats::Q4_0Panel, 8, false, false>;
using Q4_1Panels = Block32Panels<engine::formats::Q4_1Panel, 0, false, true>;
using Q5_0Panels = Block32Panels<engine::formats::Q5_0Panel, 16, true, false>;
using Q5_1Panels = Block32Panels<engine::formats::Q5_1Panel, 0, true, true>;

/// Q4_K and Q5_K: value d scale_j q - dmin min_j in sub-block j of 32; 6-bit scales and mins
/// unpacked from their 12 bytes for 16 rows at once. Q5_K's q has a fifth bit: bit j of byte l
/// of the fifth bits is that of value l of sub-block j.
template <typename PanelLayout, bool kFifthBit>
struct KQuantPanels {
  using Layout = PanelLayout;
  static constexpr std::size_t kValues = 256;
  static constexpr std::size_t kPromptCols = Vec::kRegisters >= 32 ? 4 : 1;
  /// Sub-block j = s / 8 is run j / 2's low (j even) or high nibbles, 4 values per unit, the
  /// fifth bits of its values bit j of unit s % 8 of theirs (moved to bit 4).
  static Vec::I32 step(const std::uint8_t* p, std::size_t lane, std::size_t s) {
    const std::size_t j = s / 8;
    const Vec::I32 low =
        Vec::i32_bits(panel_quads(p + Layout::kQuants + 64 * (8 * (j / 2) + s % 8), lane),
                      static_cast<int>(4 * (j % 2)), kNibbles);
    if constexpr (!kFifthBit) {
      return low;
    } else {
      constexpr std::int32_t kFifth = 0x10101010;
      const Vec::I32 h = panel_quads(p + Layout::kHigh + 64 * (s % 8), lane);
      return Vec::i32_or(low, moved_bits(h, j, 4, kFifth));
    }
  }
  template <std::size_t V, std::size_t C, typename Steps>
  static void block(const std::uint8_t* const (&p)[V], std::size_t lane, const QuantizedX& x,
                    std::size_t b, const Steps& steps, Vec::Reg (&acc)[V][C]) {
    // sum_j dx_j scale_j (q . x)_j, and -sum_j dx_j min_j sum_j x
    Vec::Reg scaled[V][C], mins[V][C];
    zero_sums(scaled, mins);
    for (std::size_t j = 0; j < 8; ++j) {
      Vec::I32 sum[V][C];
      for (std::size_t v = 0; v < V; ++v)
        for (std::size_t c = 0; c < C; ++c) sum[v][c] = Vec::i32_set1(0);
#pragma GCC unroll 8
      for (std::size_t t = 0; t < 8; ++t) {
        const PanelSteps<V> q(steps, 8 * j + t);
        for (std::size_t c = 0; c < C; ++c) {
          const std::int32_t xq = x.quads(c, 256 * b + 32 * j + 4 * t);
          for (std::size_t v = 0; v < V; ++v) sum[v][c] = Vec::dot_u8x4(sum[v][c], q[v], xq);
        }
      }
      const std::size_t xb = 8 * b + j;
      for (std::size_t v = 0; v < V; ++v) {
        Vec::I32 scale, min;
        scale_min(p[v] + Layout::kScales + lane, j, scale, min);
        const Vec::Reg min_f = Vec::i32_to_f32(min);
        for (std::size_t c = 0; c < C; ++c) {
          scaled[v][c] = Vec::fmadd(Vec::i32_to_f32(Vec::i32_mul(sum[v][c], scale)),
                                    Vec::set1(x.scale(c, xb)), scaled[v][c]);
          mins[v][c] = Vec::fmadd(min_f, Vec::set1(-x.dsum32(c, xb)), mins[v][c]);
        }
      }
    }
    for (std::size_t v = 0; v < V; ++v) {
      const Vec::Reg d = panel_halves(p[v] + Layout::kD, lane);
      const Vec::Reg dmin = panel_halves(p[v] + Layout::kDMin, lane);
      for (std::size_t c = 0; c < C; ++c)
        acc[v][c] = Vec::fmadd(d, scaled[v][c], Vec::fmadd(dmin, mins[v][c], acc[v][c]));
    }
  }
  /// Sub-block j's scale and min from the 12 packed bytes of the lanes' rows, byte i at
  /// packed + 16 i (as ggml_blocks.hpp's k4_scale_min), each loaded where needed: held in
  /// registers for the whole block they crowded out the sums.
  static void scale_min(const std::uint8_t* packed, std::size_t j, Vec::I32& scale, Vec::I32& min) {
    const auto byte = [&](std::size_t i) {
      return Vec::i32_load_u8(packed + engine::formats::kBlockPanelRows * i);
    };
    if (j < 4) {
      scale = Vec::i32_bits(byte(j), 0, 63);
      min = Vec::i32_bits(byte(j + 4), 0, 63);
    } else {
      const Vec::I32 low = byte(j + 4);
      scale = Vec::i32_or(Vec::i32_bits(low, 0, 0xF),
                          Vec::i32_shl(Vec::i32_bits(byte(j - 4), 6, 3), 4));
      min = Vec::i32_or(Vec::i32_bits(low, 4, 0xF), Vec::i32_shl(Vec::i32_bits(byte(j), 6, 3), 4));
    }
  }
};

using Q4_KPanels = KQuantPanels<engine::formats::Q4_KPanel, false>;
using Q5_KPanels = KQuantPanels<engine::formats::Q5_KPanel, true>;

/// The K-quants in sub-blocks of 16 with an integer scale each (Q2_K, Q3_K, Q6_K): value
/// d scale_j (q - kOffset) - dmin min_j in sub-block j (minima: Q2_K's), q unsigned. Format
/// gives the layout, step(), kOffset and the scales (and minima) of sub-block j for the lanes.
template <typename Format>
struct SixteenPanels {
  using Layout = typename Format::Layout;
  static constexpr std::size_t kValues = 256;
  // With minima each row of x holds a register more (5 per row against 4).
  static constexpr std::size_t kPromptCols = Vec::kRegisters < 32 ? 1 : Format::kMins ? 3 : 4;
  static Vec::I32 step(const std::uint8_t* p, std::size_t lane, std::size_t s) {
    return Format::step(p, lane, s);
  }
  template <std::size_t V, std::size_t C, typename Steps>
  static void block(const std::uint8_t* const (&p)[V], std::size_t lane, const QuantizedX& x,
                    std::size_t b, const Steps& steps, Vec::Reg (&acc)[V][C]) {
    // sum_j dx_j scale_j ((q - kOffset) . x)_j, and -sum_j dx_j min_j sum_j x
    Vec::Reg scaled[V][C], mins[V][C];
    zero_sums(scaled, mins);
    // Per 32 values (x's block xb): sub-blocks j0 and j0 + 1, summed in integers before the
    // block's one f32 step.
    for (std::size_t g = 0; g < 8; ++g) {
      const std::size_t j0 = 2 * g, xb = 8 * b + g;
      Vec::I32 sum[V][C][2];
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t h = 0; h < 2; ++h) {
          const Vec::I32 start = Vec::i32_set1(-Format::kOffset * x.sum16(c, 16 * b + j0 + h));
          for (std::size_t v = 0; v < V; ++v) sum[v][c][h] = start;
        }
#pragma GCC unroll 8
      for (std::size_t u = 0; u < 8; ++u) {
        const PanelSteps<V> q(steps, 8 * g + u);
        for (std::size_t c = 0; c < C; ++c) {
          const std::int32_t xq = x.quads(c, 256 * b + 32 * g + 4 * u);
          for (std::size_t v = 0; v < V; ++v)
            sum[v][c][u / 4] = Vec::dot_u8x4(sum[v][c][u / 4], q[v], xq);
        }
      }
      for (std::size_t v = 0; v < V; ++v) {
        const Vec::I32 scale0 = Format::scale(p[v], lane, j0);
        const Vec::I32 scale1 = Format::scale(p[v], lane, j0 + 1);
        for (std::size_t c = 0; c < C; ++c)
          scaled[v][c] =
              Vec::fmadd(Vec::i32_to_f32(Vec::i32_add(Vec::i32_mul(sum[v][c][0], scale0),
                                                      Vec::i32_mul(sum[v][c][1], scale1))),
                         Vec::set1(x.scale(c, xb)), scaled[v][c]);
        if constexpr (Format::kMins) {
          const Vec::I32 min0 = Format::min(p[v], lane, j0), min1 = Format::min(p[v], lane, j0 + 1);
          for (std::size_t c = 0; c < C; ++c) {
            const Vec::I32 m0 = Vec::i32_mul(min0, Vec::i32_set1(x.sum16(c, 16 * b + j0)));
            const Vec::I32 m1 = Vec::i32_mul(min1, Vec::i32_set1(x.sum16(c, 16 * b + j0 + 1)));
            mins[v][c] = Vec::fmadd(Vec::i32_to_f32(Vec::i32_add(m0, m1)),
                                    Vec::set1(-x.scale(c, xb)), mins[v][c]);
          }
        }
      }
    }
    for (std::size_t v = 0; v < V; ++v) {
      const Vec::Reg d = panel_halves(p[v] + Layout::kD, lane);
      for (std::size_t c = 0; c < C; ++c) {
        if constexpr (Format::kMins)
          acc[v][c] = Vec::fmadd(
              d, scaled[v][c],
              Vec::fmadd(panel_halves(p[v] + Layout::kDMin, lane), mins[v][c], acc[v][c]));
        else
          acc[v][c] = Vec::fmadd(d, scaled[v][c], acc[v][c]);
      }
    }
  }
};

/// A panel byte per lane of sub-block-indexed run `at` (16 bytes apart), as I32 lanes.
inline Vec::I32 panel_byte(const std::uint8_t* at, std::size_t i, std::size_t lane) {
  return Vec::i32_load_u8(at + engine::formats::kBlockPanelRows * i + lane);
}

/// Q2_K and Q3_K's 2-bit quants: each half of 128 values is four 2-bit planes of 32 bytes,
/// plane k (bits 2k, 2k + 1) two sub-blocks of 16. Step s (values 4s to 4s + 3) is in unit
/// 8 (s / 32) + quads_unit(s) at plane s / 8 % 4.
inline std::size_t quads_unit(std::size_t s) {
  return 4 * (s / 4 % 2) + s % 4;
}
inline Vec::I32 two_bit_step(const std::uint8_t* quants, std::size_t lane, std::size_t s) {
  constexpr std::int32_t kPairs = 0x03030303;
  return Vec::i32_bits(panel_quads(quants + 64 * (8 * (s / 32) + quads_unit(s)), lane),
                       static_cast<int>(2 * (s / 8 % 4)), kPairs);
}

/// Q2_K: value d scale_j q - dmin min_j, q 2 bits, scale and min the nibbles of byte j.
struct Q2_KFormat {
  using Layout = engine::formats::Q2_KPanel;
  static constexpr std::int32_t kOffset = 0;
  static constexpr bool kMins = true;
  static Vec::I32 step(const std::uint8_t* p, std::size_t lane, std::size_t s) {
    return two_bit_step(p + Layout::kQuants, lane, s);
  }
  static Vec::I32 scale(const std::uint8_t* p, std::size_t lane, std::size_t j) {
    return Vec::i32_bits(panel_byte(p + Layout::kScales, j, lane), 0, 0xF);
  }
  static Vec::I32 min(const std::uint8_t* p, std::size_t lane, std::size_t j) {
    return Vec::i32_bits(panel_byte(p + Layout::kScales, j, lane), 4, 0xF);
  }
};

/// Q3_K: value d (scale_j - 32) (q - 4), q's low 2 bits as Q2_K's and its third bit bit
/// 4 (s / 32) + s / 8 % 4 of unit quads_unit(s) of the third bits; the 6-bit scales' low nibbles
/// in bytes 0 to 7 (j < 8: low nibble of byte j, else high of byte j - 8), high 2 bits in bytes
/// 8 to 11 (bits 2 (j / 4) of byte 8 + j % 4).
struct Q3_KFormat {
  using Layout = engine::formats::Q3_KPanel;
  static constexpr std::int32_t kOffset = 4;
  static constexpr bool kMins = false;
  static Vec::I32 step(const std::uint8_t* p, std::size_t lane, std::size_t s) {
    constexpr std::int32_t kThird = 0x04040404;
    const std::size_t bit = 4 * (s / 32) + s / 8 % 4;
    const Vec::I32 h = panel_quads(p + Layout::kHigh + 64 * quads_unit(s), lane);
    return Vec::i32_or(two_bit_step(p + Layout::kQuants, lane, s), moved_bits(h, bit, 2, kThird));
  }
  static Vec::I32 scale(const std::uint8_t* p, std::size_t lane, std::size_t j) {
    const std::uint8_t* scales = p + Layout::kScales;
    const Vec::I32 low =
        Vec::i32_bits(panel_byte(scales, j % 8, lane), static_cast<int>(4 * (j / 8)), 0xF);
    const Vec::I32 high =
        Vec::i32_bits(panel_byte(scales, 8 + j % 4, lane), static_cast<int>(2 * (j / 4)), 3);
    return Vec::i32_add(Vec::i32_or(low, Vec::i32_shl(high, 4)), Vec::i32_set1(-32));
  }
};

/// Q6_K: value d scale_j (q - 32), q's low 4 bits in nibbles and high 2 bits in pairs, scale_j
/// int8. Each half of 128 values: unit u of the low nibbles holds values 4u to 4u + 3 (u < 8)
/// or 32 + 4 (u - 8) on (low nibbles) and the same plus 64 (high nibbles); unit u of the pairs
/// holds the high bits of the four values 4u + 32k, k = 0 to 3, in bits 2k and 2k + 1.
struct Q6_KFormat {
  using Layout = engine::formats::Q6_KPanel;
  static constexpr std::int32_t kOffset = 32;
  static constexpr bool kMins = false;
  /// Step s: value 4u + 32k + 128 half on (u = s % 8, k = s / 8 % 4, half = s / 32). Its low
  /// nibbles: unit u of run 16 half (k even) or 16 half + 8 (k odd), low (k < 2) or high
  /// (k >= 2) nibbles; its high pairs: bits 2k, 2k + 1 of unit u of the pairs, moved to bits 4, 5.
  static Vec::I32 step(const std::uint8_t* p, std::size_t lane, std::size_t s) {
    constexpr std::int32_t kHigh = 0x30303030;
    const std::size_t u = s % 8, k = s / 8 % 4, half = s / 32;
    const Vec::I32 a = panel_quads(p + Layout::kLow + 64 * (16 * half + 8 * (k % 2) + u), lane);
    const Vec::I32 h = panel_quads(p + Layout::kHigh + 64 * (8 * half + u), lane);
    return Vec::i32_or(Vec::i32_bits(a, static_cast<int>(4 * (k / 2)), kNibbles),
                       moved_bits(h, 2 * k, 4, kHigh));
  }
  static Vec::I32 scale(const std::uint8_t* p, std::size_t lane, std::size_t j) {
    return Vec::i32_load_s8(p + Layout::kScales + engine::formats::kBlockPanelRows * j + lane);
  }
};

using Q2_KPanels = SixteenPanels<Q2_KFormat>;
using Q3_KPanels = SixteenPanels<Q3_KFormat>;
using Q6_KPanels = SixteenPanels<Q6_KFormat>;

/// tile.run<C>(args...) with C = c (<= CMax) as a compile-time count.
template <std::size_t CMax, std::size_t C = CMax, typename Tile, typename... Args>
inline void run_panel_cols(std::size_t c, const Tile& tile, const Args&... args) {
  if constexpr (C > 1) {
    if (c < C) return run_panel_cols<CMax, C - 1>(c, tile, args...);
  }
  tile.template run<C>(args...);
}

/// x from row m on.
inline QuantizedX rows_from(const QuantizedX& x, std::size_t m) {
  return {x.q + m * x.cols, x.d + m * (x.cols / 32), x.sums16 + m * (x.cols / 16),
          x.dsums32 + m * (x.cols / 32), x.cols};
}

/// Decode: y (M, ldy) = x times `rows` rows of panels from w (a panel's first row), Panels'
/// blocks: per panel, per C rows of x, per kWidth rows of the panel, one pass over the blocks
/// with C accumulators, each step unpacked from the panel as it goes. The first pass over a panel
/// reads it ahead; the others find it in cache.
template <typename Panels>
struct BlockPanelRows {
  static constexpr std::size_t kRows = engine::formats::kBlockPanelRows, kCols = kPanelCols;
  static constexpr std::size_t kBlockBytes = kRows * Panels::Layout::kBytes;
  static_assert(kRows % Vec::kWidth == 0);
  const std::uint8_t* w;
  QuantizedX x;
  float* y;
  std::size_t rows, ldy;

  template <std::size_t C>
  void run(std::size_t panel, std::size_t m) const {
    const std::size_t blocks = x.cols / Panels::kValues;
    const std::uint8_t* first = w + panel * blocks * kBlockBytes;
    const QuantizedX xm = rows_from(x, m);
    for (std::size_t lane = 0; lane < kRows && panel * kRows + lane < rows; lane += Vec::kWidth) {
      Vec::Reg acc[1][C];
      for (auto& a : acc[0]) a = Vec::zero();
      for (std::size_t b = 0; b < blocks; ++b) {
        const std::uint8_t* const p[1] = {first + b * kBlockBytes};
        if (lane == 0 && m == 0) read_ahead(p[0]);
        Panels::template block<1, C>(
            p, lane, xm, b, [&](std::size_t, std::size_t s) { return Panels::step(p[0], lane, s); },
            acc);
      }
      const std::size_t n = std::min<std::size_t>(Vec::kWidth, rows - panel * kRows - lane);
      for (std::size_t c = 0; c < C; ++c)
        store_n(y + (m + c) * ldy + panel * kRows + lane, acc[0][c], n);
    }
  }
  /// Before a block at p: its lines prefetched StreamAhead::kAheadBytes on. No page touches
  /// (as the tile layout's kernels make): here they only made the stream slower.
  static void read_ahead(const std::uint8_t* p) {
    for (std::size_t at = 0; at < kBlockBytes; at += 64)
      Vec::prefetch(p + StreamAhead::kAheadBytes + at);
  }
};

/// Prompt blocks: the same sums as BlockPanelRows, but two panels at a time, their blocks
/// unpacked once, kChunkBlocks at a time, to bytes on the stack (a block's steps one after
/// another, 4 bytes per row side by side), and every row of x, C at a time, runs over those: the
/// unpacking is shared by all the block's rows, and each of x's quads serves both panels'
/// vectors. Between chunks the partial sums wait in y.
template <typename Panels>
struct UnpackedPanelRows {
  static constexpr std::size_t kRows = engine::formats::kBlockPanelRows, kPanels = 2;
  static constexpr std::size_t kCols = Panels::kPromptCols;
  static constexpr std::size_t kBlockBytes = BlockPanelRows<Panels>::kBlockBytes;
  static constexpr std::size_t kStepBytes = 4 * kRows, kSteps = Panels::kValues / 4;
  static constexpr std::size_t kUnpackedBytes = kSteps * kStepBytes;  // per block of a panel
  static constexpr std::size_t kChunkBlocks = 1024 / Panels::kValues;
  static constexpr std::size_t kPanelBytes = kChunkBlocks * kUnpackedBytes;  // per chunk
  const std::uint8_t* w;
  QuantizedX x;
  float* y;
  std::size_t rows, ldy;

  void run(std::size_t M) const {
    alignas(64) std::uint8_t unpacked[kPanels * kPanelBytes];
    const std::size_t blocks = x.cols / Panels::kValues;
    const std::size_t panels = (rows + kRows - 1) / kRows;
    for (std::size_t panel = 0; panel < panels; panel += kPanels) {
      const std::size_t count = std::min(kPanels, panels - panel);
      for (std::size_t b0 = 0; b0 < blocks; b0 += kChunkBlocks) {
        const std::size_t b1 = std::min(blocks, b0 + kChunkBlocks);
        for (std::size_t v = 0; v < count; ++v)
          for (std::size_t b = b0; b < b1; ++b) {
            const std::uint8_t* p = w + ((panel + v) * blocks + b) * kBlockBytes;
            BlockPanelRows<Panels>::read_ahead(p);
            for (std::size_t lane = 0; lane < kRows; lane += Vec::kWidth)
              for (std::size_t s = 0; s < kSteps; ++s) {
                const Vec::I32 q = Panels::step(p, lane, s);
                std::memcpy(unpacked + v * kPanelBytes + (b - b0) * kUnpackedBytes +
                                s * kStepBytes + 4 * lane,
                            &q, sizeof q);
              }
          }
        for (std::size_t m = 0; m < M; m += kCols) {
          const std::size_t c = std::min(kCols, M - m);
          if (count == kPanels)
            run_panel_cols<kCols>(c, *this, std::integral_constant<std::size_t, kPanels>{}, m,
                                  unpacked, panel, b0, b1);
          else
            run_panel_cols<kCols>(c, *this, std::integral_constant<std::size_t, 1>{}, m, unpacked,
                                  panel, b0, b1);
        }
      }
    }
  }

  /// Rows [m, m + C) of x times blocks [b0, b1) of V panels from `panel` on, their steps in
  /// `unpacked` from b0 on.
  template <std::size_t C, std::size_t V>
  void run(std::integral_constant<std::size_t, V>, std::size_t m, const std::uint8_t* unpacked,
           std::size_t panel, std::size_t b0, std::size_t b1) const {
    const std::size_t blocks = x.cols / Panels::kValues;
    const QuantizedX xm = rows_from(x, m);
    for (std::size_t lane = 0; lane < kRows; lane += Vec::kWidth) {
      // Lanes past `rows` compute on zeros and are not stored.
      std::size_t n[V];
      float* out[V];
      for (std::size_t v = 0; v < V; ++v) {
        const std::size_t at = (panel + v) * kRows + lane;
        n[v] = at < rows ? std::min<std::size_t>(Vec::kWidth, rows - at) : 0;
        out[v] = y + m * ldy + at;
      }
      if (n[0] == 0) return;
      Vec::Reg acc[V][C];
      for (std::size_t v = 0; v < V; ++v)
        for (std::size_t c = 0; c < C; ++c)
          acc[v][c] = b0 == 0 || n[v] == 0 ? Vec::zero() : load_n(out[v] + c * ldy, n[v], 0.0f);
      for (std::size_t b = b0; b < b1; ++b) {
        const std::uint8_t* p[V];
        for (std::size_t v = 0; v < V; ++v) p[v] = w + ((panel + v) * blocks + b) * kBlockBytes;
        const std::uint8_t* u = unpacked + (b - b0) * kUnpackedBytes + 4 * lane;
        Panels::template block<V, C>(
            p, lane, xm, b,
            [u](std::size_t v, std::size_t s) {
              return Vec::i32_load(u + v * kPanelBytes + s * kStepBytes);
            },
            acc);
      }
      for (std::size_t v = 0; v < V; ++v)
        if (n[v] != 0)
          for (std::size_t c = 0; c < C; ++c) store_n(out[v] + c * ldy, acc[v][c], n[v]);
    }
  }
};

/// x's sums per 16 quants, n quants, and each block of 32's sum times its scale d.
inline void q8_sums(const std::int8_t* q, const float* d, std::size_t n, std::int32_t* sums16,
                    float* dsums32) {
  for (std::size_t j = 0; j < n / 16; ++j) {
    std::int32_t s = 0;
    for (std::size_t i = 0; i < 16; ++i) s += q[16 * j + i];
    sums16[j] = s;
  }
  for (std::size_t b = 0; b < n / 32; ++b)
    dsums32[b] = d[b] * static_cast<float>(sums16[2 * b] + sums16[2 * b + 1]);
}

/// The decode kernel of a panel tile (BlockPanelRows, or Q8_0's): every panel in C = Tile::kCols
/// rows of x at a time.
template <typename Tile>
inline void gemm_panel_tiles(const std::uint8_t* w, const std::int8_t* xq, const float* xd,
                             const std::int32_t* sums16, const float* dsums32, float* y,
                             std::size_t rows, std::size_t cols, std::size_t M, std::size_t ldy) {
  const std::size_t panels = (rows + Tile::kRows - 1) / Tile::kRows;
  const Tile tile{w, {xq, xd, sums16, dsums32, cols}, y, rows, ldy};
  for (std::size_t panel = 0; panel < panels; ++panel)
    for (std::size_t m = 0; m < M; m += Tile::kCols)
      run_panel_cols<Tile::kCols>(std::min(Tile::kCols, M - m), tile, panel, m);
}

template <typename Panels>
inline void gemm_block_panels(const std::uint8_t* w, const std::int8_t* xq, const float* xd,
                              const std::int32_t* sums16, const float* dsums32, float* y,
                              std::size_t rows, std::size_t cols, std::size_t M, std::size_t ldy) {
  if (M <= kPanelCols)
    return gemm_panel_tiles<BlockPanelRows<Panels>>(w, xq, xd, sums16, dsums32, y, rows, cols, M,
                                                    ldy);
  UnpackedPanelRows<Panels>{w, {xq, xd, sums16, dsums32, cols}, y, rows, ldy}.run(M);
}
