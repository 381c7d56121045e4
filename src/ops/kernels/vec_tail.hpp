// Partial vectors at the end of a row: copied through a padded buffer, so kernels have one code
// path for every ISA and never read or write past the caller's n elements.
#pragma once

#include <cstddef>
#include <cstdint>

/// Loads n < kWidth floats; the remaining lanes hold `fill`.
inline Vec::Reg load_tail(const float* p, std::size_t n, float fill) {
  alignas(64) float buf[Vec::kWidth];
  for (int i = 0; i < Vec::kWidth; ++i) buf[i] = static_cast<std::size_t>(i) < n ? p[i] : fill;
  return Vec::load(buf);
}

/// Stores the first n < kWidth lanes of v.
inline void store_tail(float* p, Vec::Reg v, std::size_t n) {
  alignas(64) float buf[Vec::kWidth];
  Vec::store(buf, v);
  for (std::size_t i = 0; i < n; ++i) p[i] = buf[i];
}

/// Loads n <= kWidth floats (full or partial).
inline Vec::Reg load_n(const float* p, std::size_t n, float fill) {
  return n == Vec::kWidth ? Vec::load(p) : load_tail(p, n, fill);
}

/// Stores n <= kWidth floats (full or partial).
inline void store_n(float* p, Vec::Reg v, std::size_t n) {
  if (n == Vec::kWidth)
    Vec::store(p, v);
  else
    store_tail(p, v, n);
}

/// v where the n <= kWidth mask bytes are non-zero, else fill; lanes past n get fill.
inline Vec::Reg select_n(const std::uint8_t* mask, std::size_t n, Vec::Reg v, Vec::Reg fill) {
  if (n == Vec::kWidth) return Vec::select(mask, v, fill);
  std::uint8_t buf[Vec::kWidth] = {};
  for (std::size_t i = 0; i < n; ++i) buf[i] = mask[i];
  return Vec::select(buf, v, fill);
}
