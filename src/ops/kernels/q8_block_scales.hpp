// The scales of a Q8_0 decode step where a step takes one block (the scalar and AVX2 Vec; the
// AVX-512 one takes a pair and keeps the scales in a register).
#pragma once

#include <cstddef>
#include <cstdint>

/// The layout tile's f16 weight scales of the pair holding the step's block (row k's pair at
/// w[2k], w[2k + 1]), the block's place in its pair, and x's scale of the block.
struct Q8BlockScales {
  const std::uint16_t* w;
  std::size_t half;
  float x;

  /// Row k's f16 weight scale.
  std::uint16_t row_bits(std::size_t k) const { return w[2 * k + half]; }
};
