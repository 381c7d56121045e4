// The searches that pick a group's scale (and minimum) for the block quantisers of
// ggml_blocks.cpp: the scale of a plain max-abs rounding is only a start; nearby scales round the
// values to other levels, least squares then fits the scale (and minimum) to those levels, and
// the candidate of least weighted squared error wins (the method of ggml's reference quantisers,
// make_qx_quants and make_qkx2_quants).
#pragma once

#include <cstddef>
#include <cstdint>

namespace engine::formats {

/// x rounded to the nearest integer, ties to even, for |x| < 2^22 (adding 1.5 * 2^23 leaves no
/// fraction bits): vectorises where a libm call does not.
inline int nearest(float x) {
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23
  return static_cast<int>((x + kShift) - kShift);
}

/// The weights of a group's errors w (n,): the group's RMS plus |x| (ggml's choice for its
/// K-quants): every value counts, the large ones, which matter most to a product, more.
void rms_weights(const float* x, std::size_t n, float* w);

/// x (n,) ~ scale * level, level in [lo, hi] (lo < 0 < hi), minimising sum w * (x - scale *
/// level)^2. levels out (n,). Returns the scale (0 when every x is 0); its sign puts the value of
/// largest magnitude on the long side (lo).
float search_scale(const float* x, const float* w, std::size_t n, int lo, int hi,
                   std::int8_t* levels);

/// Where search_scale_min looks: candidate steps (max - min) / (top + first + k * step) for k in
/// [0, count].
struct ScaleMinSearch {
  float first, step;
  int count;
  bool min_at_most_zero;  // the K-quants store -min unsigned; Q4_1 / Q5_1 any f16
  bool absolute_error;    // minimise sum w |error| instead (Q2_K's 2-bit levels)
};

/// x ~ scale * level + min, level in [0, top], scale >= 0.
struct ScaleMin {
  float scale, min;
};

/// The scale and minimum of least weighted error for x (n,), levels out (n,).
ScaleMin search_scale_min(const float* x, const float* w, std::size_t n, int top,
                          const ScaleMinSearch& search, std::uint8_t* levels);

}  // namespace engine::formats
