// Panels of plain values (f32, f16) for the block path (ops/panel_matmul.hpp): (ceil(rows /
// kPanelWidth), cols, kPanelWidth) values, packed at load from the tile layout
// (ops/tile_layout.hpp), each value as the matrix holds it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ops/matrix.hpp"
#include "ops/panel_layout.hpp"
#include "ops/tile_layout.hpp"

namespace engine::formats {

template <typename T>
std::size_t value_panel_bytes(const Matrix& w) {
  const std::size_t count = (static_cast<std::size_t>(w.rows) + kPanelWidth - 1) / kPanelWidth;
  return count * w.cols * kPanelWidth * sizeof(T);
}

template <typename T>
const void* pack_value_panels(const Matrix& w, std::uint8_t* out) {
  constexpr std::size_t G = kGroupValues<T>;
  const std::size_t K = w.cols, N = w.rows, panel = K * kPanelWidth;
  T* const panels = reinterpret_cast<T*>(out);
  const T* const in = static_cast<const T*>(w.data);
  const std::size_t groups = tile_groups<T>(K);
  // Row by row: each weight row is read in order (out of its tiles), its panel (cols x
  // kPanelWidth values) stays in cache.
#pragma omp parallel for schedule(static)
  for (std::size_t n = 0; n < N; ++n) {
    T* const column = panels + n / kPanelWidth * panel + n % kPanelWidth;
    for (std::size_t k = 0; k < K; k += G) {
      const T* const group = in + tile_offset<T>(groups, n, k);
      for (std::size_t j = 0; j < std::min(G, K - k); ++j) column[(k + j) * kPanelWidth] = group[j];
    }
  }
  return panels;
}

}  // namespace engine::formats
