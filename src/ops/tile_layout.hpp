// The in-memory layout of the weight matrices of a loaded model in f32, bf16 and f16, made at
// load for the decode kernels (ops/kernels/linear_kernels.hpp). Rows go in tiles of kLayoutTileRows
// and each row's values in groups of one 64-byte cache line; a tile's group is that group of
// each of its rows side by side, and the groups follow one another tile by tile. A kernel's
// tile of rows is then one linear stream, not a stream per row: the prefetch and the page
// touches run a fixed distance ahead of it (much faster than rows of their own, with or without
// page touches per row).
// Rows past the last (to a whole tile) and the values past a row's last (to a whole group) are
// zeros, so every group can be read whole.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace engine {

constexpr std::size_t kLayoutTileRows = 4;     // rows per tile
constexpr std::size_t kLayoutGroupBytes = 64;  // bytes of a row's group

/// The index of group g of row r, `groups` groups per row: tile by tile, group by group, row by
/// row. For r < kLayoutTileRows it is also the distance of (r, g) from its tile's first group.
constexpr std::size_t layout_group(std::size_t groups, std::size_t r, std::size_t g) {
  return (r / kLayoutTileRows * groups + g) * kLayoutTileRows + r % kLayoutTileRows;
}

/// Groups of a matrix of `rows` rows of `groups` groups, padding rows included.
constexpr std::size_t layout_groups(std::size_t rows, std::size_t groups) {
  return (rows + kLayoutTileRows - 1) / kLayoutTileRows * kLayoutTileRows * groups;
}

// Matrices of values (f32, bf16, f16): a group is kGroupValues<T> values.
template <typename T>
constexpr std::size_t kGroupValues = kLayoutGroupBytes / sizeof(T);

/// Groups per row: the row's values rounded up to whole groups.
template <typename T>
constexpr std::size_t tile_groups(std::size_t cols) {
  return (cols + kGroupValues<T> - 1) / kGroupValues<T>;
}

/// Where value (r, c) of a tiled matrix of `groups` groups per row is, in values.
template <typename T>
constexpr std::size_t tile_offset(std::size_t groups, std::size_t r, std::size_t c) {
  return layout_group(groups, r, c / kGroupValues<T>) * kGroupValues<T> + c % kGroupValues<T>;
}

/// Values of a tiled (rows, cols) matrix, padding included.
template <typename T>
constexpr std::size_t tiled_values(std::size_t rows, std::size_t cols) {
  return layout_groups(rows, tile_groups<T>(cols)) * kGroupValues<T>;
}

/// Copies rows [first, first + count) of a matrix of `cols` columns (first a multiple of
/// kLayoutTileRows, count at most that), their values at `rows` (count, cols), to their tile in
/// the tiled matrix at `tiled` (tiled_values, zeroed for the padding): written in storage order,
/// whole groups at a time.
template <typename T>
void store_tile(const T* rows, std::size_t first, std::size_t count, std::size_t cols, T* tiled) {
  constexpr std::size_t G = kGroupValues<T>;
  T* out = tiled + tile_offset<T>(tile_groups<T>(cols), first, 0);
  std::size_t c = 0;
  for (; c + G <= cols; c += G, out += kLayoutTileRows * G)
    for (std::size_t r = 0; r < count; ++r)
      std::memcpy(out + r * G, rows + r * cols + c, sizeof(T) * G);
  for (std::size_t r = 0; c < cols && r < count; ++r)
    std::memcpy(out + r * G, rows + r * cols + c, sizeof(T) * (cols - c));
}

/// Rows [first, first + count) of a tiled matrix of `cols` columns back to rows, out (count,
/// cols): a layout tile at a time, its groups read in storage order, whole groups at a time.
template <typename T>
void load_rows_tiled(const T* tiled, std::size_t first, std::size_t count, std::size_t cols,
                     T* out) {
  constexpr std::size_t G = kGroupValues<T>;
  const std::size_t groups = tile_groups<T>(cols);
  while (count > 0) {
    const std::size_t lead = first % kLayoutTileRows;
    const std::size_t rows = std::min(count, kLayoutTileRows - lead);
    const T* in = tiled + tile_offset<T>(groups, first - lead, 0);
    std::size_t c = 0;
    for (; c + G <= cols; c += G, in += kLayoutTileRows * G)
      for (std::size_t r = 0; r < rows; ++r)
        std::memcpy(out + r * cols + c, in + (lead + r) * G, sizeof(T) * G);
    for (std::size_t r = 0; c < cols && r < rows; ++r)
      std::memcpy(out + r * cols + c, in + (lead + r) * G, sizeof(T) * (cols - c));
    first += rows;
    count -= rows;
    out += rows * cols;
  }
}

}  // namespace engine
