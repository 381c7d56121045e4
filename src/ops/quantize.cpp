#include "ops/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/half.hpp"
#include "ops/tile_layout.hpp"

namespace engine {
namespace {

// x rounded to the nearest integer, ties to even: std::nearbyint in the default rounding mode,
// for |x| <= 2^22 (adding 1.5 * 2^23 leaves no fraction bits). Vectorises where the libm call
// does not (a load converting to Q8_0 spent much of its time in the calls).
float round_to_even(float x) {
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23
  return (x + kShift) - kShift;
}

}  // namespace

void quantize_bf16(const float* in, std::uint16_t* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = f32_to_bf16(in[i]);
}

void quantize_row_q8_0(const float* in, std::uint8_t* out, std::size_t n) {
  for (std::size_t b = 0; b < n / 32; ++b, in += 32, out += 34) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(in[i]));
    const std::uint16_t d = f32_to_f16(amax / 127.0f);
    std::memcpy(out, &d, 2);
    // Quantise against the scale as stored (f16), so dequantisation reproduces it exactly.
    const float stored = f16_to_f32(d);
    const float inv = stored > 0.0f ? 1.0f / stored : 0.0f;
    for (int i = 0; i < 32; ++i)
      out[2 + i] = static_cast<std::uint8_t>(
          static_cast<std::int8_t>(std::clamp(round_to_even(in[i] * inv), -127.0f, 127.0f)));
  }
}

void store_row_q8_0_tiled(const std::uint8_t* row, std::size_t r, std::size_t rows,
                          std::size_t cols, std::uint8_t* tiled) {
  const std::size_t pairs = q8_tile_pairs(cols);
  std::uint8_t* quants = tiled;
  std::uint8_t* scales = tiled + q8_tile_slots(rows, cols) * kQ8Block;
  for (std::size_t b = 0; b < cols / kQ8Block; ++b, row += kQ8Block + 2) {
    const std::size_t slot = q8_tile_slot(pairs, r, b);
    std::memcpy(scales + slot * 2, row, 2);
    std::memcpy(quants + slot * kQ8Block, row + 2, kQ8Block);
  }
}

void dequantize_rows_q8_0_tiled(const void* tiled, std::size_t first, std::size_t count,
                                std::size_t rows, std::size_t cols, float* out) {
  const std::size_t pairs = q8_tile_pairs(cols), blocks = cols / kQ8Block, end = first + count;
  const Q8TiledParts parts = q8_tiled_parts(tiled, rows, cols);
  // In the order the slots are stored (tile by tile, pair by pair, row by row): one stream.
  for (std::size_t tile = first / kLayoutTileRows * kLayoutTileRows; tile < end;
       tile += kLayoutTileRows)
    for (std::size_t b = 0; b < blocks; b += kQ8PairBlocks)
      for (std::size_t r = std::max(tile, first); r < std::min(tile + kLayoutTileRows, end); ++r)
        for (std::size_t half = 0; half < kQ8PairBlocks && b + half < blocks; ++half) {
          const std::size_t slot = q8_tile_slot(pairs, r, b + half);
          const float scale = f16_to_f32(parts.scales[slot]);
          const auto* q = reinterpret_cast<const std::int8_t*>(parts.quants + slot * kQ8Block);
          float* o = out + (r - first) * cols + (b + half) * kQ8Block;
          for (std::size_t i = 0; i < kQ8Block; ++i) o[i] = scale * q[i];
        }
}

}  // namespace engine
