// Full or partial vectors at the end of a row, so kernels have one code path for every ISA and
// never read or write past the caller's n elements (partial lanes use masked loads/stores).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

/// Loads n <= kWidth floats; lanes past n hold `fill`.
inline Vec::Reg load_n(const float* p, std::size_t n, float fill) {
  return n == Vec::kWidth ? Vec::load(p) : Vec::load_partial(p, n, fill);
}

/// Stores the first n <= kWidth lanes of v.
inline void store_n(float* p, Vec::Reg v, std::size_t n) {
  if (n == Vec::kWidth)
    Vec::store(p, v);
  else
    Vec::store_partial(p, v, n);
}

/// v where the n <= kWidth mask bytes are non-zero, else fill; lanes past n get fill.
inline Vec::Reg select_n(const std::uint8_t* mask, std::size_t n, Vec::Reg v, Vec::Reg fill) {
  if (n == Vec::kWidth) return Vec::select(mask, v, fill);
  std::uint8_t buf[Vec::kWidth] = {};
  for (std::size_t i = 0; i < n; ++i) buf[i] = mask[i];
  return Vec::select(buf, v, fill);
}

/// Loads n <= kWidth f32 weights; lanes past n are 0.
inline Vec::Reg load_weights_n(const float* p, std::size_t n) {
  return load_n(p, n, 0.0f);
}
