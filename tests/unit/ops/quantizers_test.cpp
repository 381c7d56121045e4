// The quantisers of every block type (ggml_blocks.hpp's searching encoders, and Q8_0's max-abs
// rounding, quantize_row_q8_0): their blocks read back, through the format's own reader and
// through the double-precision decoder of ggml's definitions (ggml_block_reference.hpp), to
// values whose error against the f32 originals is below that of a plain max-abs rounding with
// exact scales written here in double precision (Q8_0: within 1 % of it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "ggml_block_reference.hpp"
#include "ops/weight_format.hpp"

namespace engine {
namespace {

using namespace ggml_reference;

// Value i of a row of blocks of `type`, from ggml's definitions (Q8_0 {d; qs[32] int8}).
double reference_value(DType type, const std::uint8_t* row, std::size_t i) {
  const WeightFormat& f = weight_format(type);
  const std::uint8_t* block = row + i / f.block_values * f.block_bytes;
  const int at = static_cast<int>(i % f.block_values);
  if (type == DType::q8_0) return half_at(block) * static_cast<std::int8_t>(block[2 + at]);
  return k_value(type, block, at).value;
}

// How a plain max-abs rounding quantises a type: groups of `group` values, each with an exact
// (unrounded) scale: the value of largest magnitude at level lo (symmetric), or the group's range
// split into `top` steps from its minimum (at most 0 where the type stores -min unsigned).
struct MaxAbs {
  DType type;
  int group;
  bool symmetric;
  int lo, hi;  // symmetric levels; else [0, hi]
  bool min_at_most_zero;
};

constexpr MaxAbs kTypes[] = {
    {DType::q4_0, 32, true, -8, 7, false},     {DType::q4_1, 32, false, 0, 15, false},
    {DType::q5_0, 32, true, -16, 15, false},   {DType::q5_1, 32, false, 0, 31, false},
    {DType::q8_0, 32, true, -127, 127, false}, {DType::q2_k, 16, false, 0, 3, true},
    {DType::q3_k, 16, true, -4, 3, false},     {DType::q4_k, 32, false, 0, 15, true},
    {DType::q5_k, 32, false, 0, 31, true},     {DType::q6_k, 16, true, -32, 31, false},
};

// Sum of squared errors of the max-abs rounding of x.
double max_abs_squared_error(const MaxAbs& t, const std::vector<float>& x) {
  double sum = 0;
  for (std::size_t g = 0; g < x.size(); g += t.group) {
    const auto first = x.begin() + static_cast<std::ptrdiff_t>(g), last = first + t.group;
    double scale, min = 0;
    if (t.symmetric) {
      double extreme = 0;
      for (auto v = first; v != last; ++v)
        if (std::abs(*v) > std::abs(extreme)) extreme = *v;
      scale = t.type == DType::q8_0 ? std::abs(extreme) / t.hi : extreme / t.lo;
    } else {
      min = *std::min_element(first, last);
      if (t.min_at_most_zero) min = std::min(min, 0.0);
      scale = (*std::max_element(first, last) - min) / t.hi;
    }
    for (auto v = first; v != last; ++v) {
      const double level =
          scale != 0 ? std::clamp(std::nearbyint((*v - min) / scale), double(t.lo), double(t.hi))
                     : 0;
      sum += (level * scale + min - *v) * (level * scale + min - *v);
    }
  }
  return sum;
}

// Rows of trained-looking weights: normal, with an outlier now and then.
std::vector<float> weights(std::size_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::uniform_int_distribution<int> one_in(0, 99);
  std::vector<float> x(n);
  for (float& v : x) v = one_in(rng) == 0 ? 8.0f * normal(rng) : normal(rng);
  return x;
}

std::vector<std::uint8_t> quantise(DType type, const std::vector<float>& x, std::size_t rows) {
  const WeightFormat& f = weight_format(type);
  const std::size_t cols = x.size() / rows, row_bytes = file_row_bytes(f, cols);
  std::vector<std::uint8_t> blocks(rows * row_bytes);
  for (std::size_t r = 0; r < rows; ++r)
    f.quantize_row(x.data() + r * cols, blocks.data() + r * row_bytes, cols);
  return blocks;
}

TEST(Quantizers, BeatMaxAbsRoundingAndReadBackExactly) {
  std::mt19937 rng(2020);
  constexpr std::size_t kRows = 16, kCols = 1024;
  const std::vector<float> x = weights(kRows * kCols, rng);
  double energy = 0;
  for (float v : x) energy += static_cast<double>(v) * v;
  std::printf("| type | bits/weight | RMSE / RMS, engine | RMSE / RMS, max-abs exact scales |\n");
  for (const MaxAbs& t : kTypes) {
    const WeightFormat& f = weight_format(t.type);
    const std::vector<std::uint8_t> blocks = quantise(t.type, x, kRows);
    // The format's own reader (the layout a load gives it) against ggml's definitions.
    std::vector<std::uint8_t> loaded(f.loaded_bytes(kRows, kCols));
    for (std::size_t r = 0; r < kRows; r += 4)
      f.store_rows(blocks.data() + r * file_row_bytes(f, kCols), r, 4, kRows, kCols, loaded.data());
    const Matrix w{loaded.data(), t.type, static_cast<int>(kRows), static_cast<int>(kCols)};
    std::vector<float> read(kRows * kCols);
    f.load_rows(w, 0, kRows, read.data());
    double error = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::size_t r = i / kCols;
      const double want =
          reference_value(t.type, blocks.data() + r * file_row_bytes(f, kCols), i % kCols);
      ASSERT_NEAR(read[i], want, 1e-6 * std::abs(want) + 1e-30) << f.name << " value " << i;
      error += (want - x[i]) * (want - x[i]);
    }
    const double max_abs = max_abs_squared_error(t, x);
    const double bits = 8.0 * f.block_bytes / f.block_values;
    std::printf("| %s | %.4g | %.5f | %.5f |\n", f.name.data(), bits, std::sqrt(error / energy),
                std::sqrt(max_abs / energy));
    if (t.type == DType::q8_0)  // max-abs itself, its scale rounded to f16
      EXPECT_LT(error, 1.0201 * max_abs);
    else
      EXPECT_LT(error, max_abs) << f.name;
    EXPECT_GT(error, 0.0) << f.name << ": not rounded at all?";
  }
}

// Groups of zeros read back as zeros, a constant row as that constant (to its type's precision),
// values too small for an f16 scale as zeros: never a NaN from a zero scale.
TEST(Quantizers, DegenerateRowsReadBackFinite) {
  constexpr std::size_t kCols = 512;
  for (const MaxAbs& t : kTypes) {
    for (const float c : {0.0f, 0.5f, -0.25f, 1e-9f}) {
      const std::vector<float> x(kCols, c);
      const std::vector<std::uint8_t> blocks = quantise(t.type, x, 1);
      for (std::size_t i = 0; i < kCols; ++i) {
        const double v = reference_value(t.type, blocks.data(), i);
        ASSERT_TRUE(std::isfinite(v)) << weight_format(t.type).name << " " << c;
        ASSERT_NEAR(v, c, 0.02 * std::abs(c) + 1e-8) << weight_format(t.type).name << " " << c;
      }
    }
  }
}

}  // namespace
}  // namespace engine
