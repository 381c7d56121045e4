// The layout a load gives matrices of plain values (f32, f16), which the decode kernel and the
// block path (ops/panel_matmul.hpp) both read: one copy of the weights serves both. Panels of
// kPanelWidth rows, (ceil(rows / kPanelWidth), cols, kPanelWidth) values: value (r, k) at panel
// r / kPanelWidth, row k, column r % kPanelWidth. A panel is one linear stream for either kernel;
// the features past the last row are zeros. bf16 panels step V = 2 values of k at a time (the
// pairs vdpbf16ps multiplies): (ceil(rows / kPanelWidth), ceil(cols / 2), kPanelWidth, 2), value
// (r, k) at step k / 2, column r % kPanelWidth, half k % 2; a last odd k pairs with a zero.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ops/kernels/kernel_table.hpp"
#include "ops/matrix.hpp"
#include "ops/panel_layout.hpp"
#include "ops/weight_format.hpp"

namespace engine::formats {

/// Values of one panel of `cols` columns, V values of k per step.
template <std::size_t V = 1>
constexpr std::size_t value_panel_values(std::size_t cols) {
  return (cols + V - 1) / V * V * kPanelWidth;
}

/// Where value k of a row is, from the row's first value in its panel.
template <std::size_t V = 1>
constexpr std::size_t value_panel_offset(std::size_t k) {
  return k / V * V * kPanelWidth + k % V;
}

template <typename T, std::size_t V = 1>
std::size_t value_panels_bytes(std::size_t rows, std::size_t cols) {
  return (rows + kPanelWidth - 1) / kPanelWidth * value_panel_values<V>(cols) * sizeof(T);
}

/// Row r's first value in its panel.
template <typename T, std::size_t V>
T* value_panel_row(T* panels, std::size_t r, std::size_t cols) {
  return panels + r / kPanelWidth * value_panel_values<V>(cols) + r % kPanelWidth * V;
}

/// Rows [first, first + count) of a file's rows (`file_rows`, row-major) to their panel: each
/// row's values in order, kPanelWidth steps apart (the panel stays in cache across its rows).
template <typename T, std::size_t V = 1>
void store_value_rows(const std::uint8_t* file_rows, std::size_t first, std::size_t count,
                      std::size_t, std::size_t cols, std::uint8_t* loaded) {
  const T* in = reinterpret_cast<const T*>(file_rows);
  T* panels = reinterpret_cast<T*>(loaded);
  for (std::size_t r = first; r < first + count; ++r, in += cols) {
    T* row = value_panel_row<T, V>(panels, r, cols);
    for (std::size_t k = 0; k < cols; ++k) row[value_panel_offset<V>(k)] = in[k];
  }
}

/// Rows [first, first + count) back as f32 values, out (count, cols): a row's values gathered
/// kGather at a time (on the stack: a decode step's embedding row allocates nothing), then
/// widened by `widen` (n values from T to float).
template <typename T, void (*widen)(const T*, float*, std::size_t), std::size_t V = 1>
void load_value_rows(const Matrix& w, std::size_t first, std::size_t count, float* out) {
  constexpr std::size_t kGather = 64;
  const std::size_t K = w.cols;
  const T* panels = static_cast<const T*>(w.data);
  T gathered[kGather];
  for (std::size_t r = first; r < first + count; ++r, out += K) {
    const T* row = value_panel_row<const T, V>(panels, r, K);
    for (std::size_t k0 = 0; k0 < K; k0 += kGather) {
      const std::size_t n = std::min(kGather, K - k0);
      for (std::size_t k = 0; k < n; ++k) gathered[k] = row[value_panel_offset<V>(k0 + k)];
      widen(gathered, out + k0, n);
    }
  }
}

/// One row of file values (n of T) to f32 by `widen`, the function load_value_rows takes: a
/// format's widen_row.
template <typename T, void (*widen)(const T*, float*, std::size_t)>
void widen_value_row(const std::uint8_t* in, float* out, std::size_t n) {
  widen(reinterpret_cast<const T*>(in), out, n);
}

/// The decode product on panels: rows [row, row + rows) (row a multiple of kPanelWidth) of w
/// times x (M, K), the activations `x.*activations`, by the format's decode kernel (`kernel`, a
/// KernelTable member).
template <typename T, auto kernel, auto activations = &Activations::f32, std::size_t V = 1>
void gemm_value_panels(const kernels::KernelTable& k, const Matrix& w, std::size_t row,
                       std::size_t rows, const Activations& x, float* y, std::size_t M) {
  const T* panels =
      static_cast<const T*>(w.data) + row / kPanelWidth * value_panel_values<V>(w.cols);
  (k.*kernel)(panels, x.*activations, y + row, rows, w.cols, M, w.rows);
}

}  // namespace engine::formats
