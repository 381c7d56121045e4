// The in-memory layout of Q8_0 matrices (GGUF's blocks: 32 int8 quants and an f16 scale), made
// at load for the decode kernel (Q8Tile in ops/kernels/linear_kernels.hpp). GGUF stores a
// block as 34 bytes (scale, then quants), so a kernel step of two blocks per row read two scalar
// f16 scales 34 bytes apart and 64 unaligned quant bytes, per row: on Zen 5 the scales, not the
// memory, set the decode rate of large models. Here rows go in tiles of kQ8TileRows and blocks
// in pairs: a tile's pair is the 64 quant bytes of each of its rows side by side (256 bytes, four
// whole cache lines), and the scales live in a region of their own after all the quants, a
// row's pair of scales 4 contiguous bytes. Rows past the last (to a whole tile) and a last odd
// block are zero quants with scale 0, so every pair can be read whole.
#pragma once

#include <cstddef>
#include <cstdint>

namespace engine {

constexpr std::size_t kQ8Block = 32;      // values per block
constexpr std::size_t kQ8TileRows = 4;    // rows per tile
constexpr std::size_t kQ8PairBlocks = 2;  // blocks of a row side by side in a tile

/// Block pairs per row: a row's blocks rounded up to whole pairs.
constexpr std::size_t q8_tile_pairs(std::size_t cols) {
  return (cols / kQ8Block + kQ8PairBlocks - 1) / kQ8PairBlocks;
}

/// The slot of block b of row r: its quants are the 32 bytes at slot * 32, its scale the f16 at
/// index slot of the scales. Slots of one tile's pair are consecutive (row-major, 2 per row), so
/// for r < kQ8TileRows this is also the offset of (r, b) from its tile's first slot.
constexpr std::size_t q8_tile_slot(std::size_t pairs, std::size_t r, std::size_t b) {
  return ((r / kQ8TileRows * pairs + b / kQ8PairBlocks) * kQ8TileRows + r % kQ8TileRows) *
             kQ8PairBlocks +
         b % kQ8PairBlocks;
}

/// Slots of a (rows, cols) matrix, padding included.
constexpr std::size_t q8_tile_slots(std::size_t rows, std::size_t cols) {
  return (rows + kQ8TileRows - 1) / kQ8TileRows * q8_tile_pairs(cols) * kQ8TileRows * kQ8PairBlocks;
}

/// Bytes of a tiled (rows, cols) matrix: the quants, then the scales.
constexpr std::size_t q8_tiled_bytes(std::size_t rows, std::size_t cols) {
  return q8_tile_slots(rows, cols) * (kQ8Block + sizeof(std::uint16_t));
}

/// The two regions of a tiled (rows, cols) matrix stored at `data`.
struct Q8TiledParts {
  const std::uint8_t* quants;   // (slots, 32) int8
  const std::uint16_t* scales;  // (slots,) f16
};
inline Q8TiledParts q8_tiled_parts(const void* data, std::size_t rows, std::size_t cols) {
  const auto* quants = static_cast<const std::uint8_t*>(data);
  return {quants,
          reinterpret_cast<const std::uint16_t*>(quants + q8_tile_slots(rows, cols) * kQ8Block)};
}

}  // namespace engine
