#include "ops/formats/scale_search.hpp"

#include <algorithm>
#include <cmath>

namespace engine::formats {
namespace {

// x rounded to the nearest integer (ties to even) and clamped to [lo, hi], in floats: the search
// loops below vectorise with it (and their sums with `omp simd`), some 20 passes per group.
float level_in(float x, float lo, float hi) {
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23, as in nearest()
  return std::min(std::max((x + kShift) - kShift, lo), hi);
}

}  // namespace

void rms_weights(const float* x, std::size_t n, float* w) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i) sum += x[i] * x[i];
  const float rms = std::sqrt(sum / static_cast<float>(n));
  for (std::size_t i = 0; i < n; ++i) w[i] = rms + std::fabs(x[i]);
}

float search_scale(const float* x, const float* w, std::size_t n, int lo, int hi,
                   std::int8_t* levels) {
  float extreme = 0.0f;
  for (std::size_t i = 0; i < n; ++i)
    if (std::fabs(x[i]) > std::fabs(extreme)) extreme = x[i];
  if (extreme == 0.0f) {
    std::fill(levels, levels + n, std::int8_t{0});
    return 0.0f;
  }
  const float low = static_cast<float>(lo), high = static_cast<float>(hi);
  // For a given set of levels l the best scale is sum(w x l) / sum(w l^2), and its error falls
  // as sum(w x l)^2 / sum(w l^2) grows: the candidate with the largest such ratio wins.
  float best_xl = 0.0f, best_ll = 0.0f, best_inverse = 0.0f;
  for (int k = -9; k <= 9; ++k) {
    const float inverse = (low + 0.1f * static_cast<float>(k)) / extreme;
    float xl = 0.0f, ll = 0.0f;
#pragma omp simd reduction(+ : xl, ll)
    for (std::size_t i = 0; i < n; ++i) {
      const float l = level_in(inverse * x[i], low, high);
      xl += w[i] * x[i] * l;
      ll += w[i] * l * l;
    }
    if (ll > 0.0f && (best_ll == 0.0f || xl * xl * best_ll > best_xl * best_xl * ll)) {
      best_xl = xl;
      best_ll = ll;
      best_inverse = inverse;
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    levels[i] = static_cast<std::int8_t>(level_in(best_inverse * x[i], low, high));
  return best_ll > 0.0f ? best_xl / best_ll : 0.0f;
}

ScaleMin search_scale_min(const float* x, const float* w, std::size_t n, int top,
                          const ScaleMinSearch& search, std::uint8_t* levels) {
  float lowest = x[0], highest = x[0], sum_w = 0.0f, sum_x = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    lowest = std::min(lowest, x[i]);
    highest = std::max(highest, x[i]);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (search.min_at_most_zero) lowest = std::min(lowest, 0.0f);
  if (highest == lowest) {
    std::fill(levels, levels + n, std::uint8_t{0});
    return {0.0f, lowest};
  }
  const float ceiling = static_cast<float>(top);
  float trial[256];
  // The weighted error of x as scale * trial + min.
  const auto error_of = [&](float scale, float min) {
    float error = 0.0f;
    if (search.absolute_error) {
#pragma omp simd reduction(+ : error)
      for (std::size_t i = 0; i < n; ++i) error += w[i] * std::fabs(scale * trial[i] + min - x[i]);
    } else {
#pragma omp simd reduction(+ : error)
      for (std::size_t i = 0; i < n; ++i) {
        const float diff = scale * trial[i] + min - x[i];
        error += w[i] * diff * diff;
      }
    }
    return error;
  };
  const auto round_trial = [&](float inverse) {
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i)
      trial[i] = level_in(inverse * (x[i] - lowest), 0.0f, ceiling);
  };
  const auto keep = [&] {
    for (std::size_t i = 0; i < n; ++i) levels[i] = static_cast<std::uint8_t>(trial[i]);
  };
  // The plain rounding first: the range split into `top` steps.
  ScaleMin best{(highest - lowest) / ceiling, lowest};
  round_trial(1.0f / best.scale);
  float best_error = error_of(best.scale, best.min);
  keep();
  for (int k = 0; k <= search.count; ++k) {
    round_trial((ceiling + search.first + search.step * static_cast<float>(k)) /
                (highest - lowest));
    // Least squares for scale and min over these levels (a 2x2 system).
    float sum_l = 0.0f, sum_ll = 0.0f, sum_xl = 0.0f;
#pragma omp simd reduction(+ : sum_l, sum_ll, sum_xl)
    for (std::size_t i = 0; i < n; ++i) {
      sum_l += w[i] * trial[i];
      sum_ll += w[i] * trial[i] * trial[i];
      sum_xl += w[i] * trial[i] * x[i];
    }
    const float det = sum_w * sum_ll - sum_l * sum_l;
    if (det <= 0.0f) continue;
    float scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float min = (sum_ll * sum_x - sum_l * sum_xl) / det;
    if (search.min_at_most_zero && min > 0.0f) {
      min = 0.0f;
      scale = sum_xl / sum_ll;
    }
    const float error = error_of(scale, min);
    if (error < best_error) {
      best_error = error;
      best = {scale, min};
      keep();
    }
  }
  return best;
}

}  // namespace engine::formats
