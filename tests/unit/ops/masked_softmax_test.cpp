// The masked softmax of every ISA this CPU has against the scalar reference, and the scalar
// reference against a float64 computation: all lengths 0..300 and 4096, misaligned starts,
// random masks, fully masked rows, single unmasked positions, -inf and huge inputs.
#include "engine/ops/masked_softmax.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/error.hpp"

namespace engine {
namespace {

constexpr float kScale = 0.125f;

// float64 reference straight from the definition.
std::vector<double> reference(const std::vector<float>& x, const std::vector<std::uint8_t>& mask,
                              float scale) {
  double max = -INFINITY;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (mask[i]) max = std::max(max, static_cast<double>(x[i] * scale));
  std::vector<double> p(x.size(), 0.0);
  if (max == -INFINITY) return p;
  double sum = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (mask[i]) sum += p[i] = std::exp(static_cast<double>(x[i] * scale) - max);
  for (double& v : p) v /= sum;
  return p;
}

// Relative error bound with a floor for values that underflow to (sub)normals.
void expect_close(float got, double want, double rel, const std::string& where) {
  ASSERT_FALSE(std::isnan(got)) << where;
  ASSERT_LE(std::abs(got - want), rel * std::abs(want) + 1e-37) << where << " want " << want;
}

struct Case {
  std::vector<float> x;
  std::vector<std::uint8_t> mask;
};

std::vector<Case> cases() {
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> value(-30.0f, 30.0f);
  std::vector<Case> out;
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 300; ++n) lengths.push_back(n);
  lengths.push_back(4096);
  for (std::size_t n : lengths) {
    Case dense{std::vector<float>(n), std::vector<std::uint8_t>(n, 1)};
    for (float& v : dense.x) v = value(rng);
    out.push_back(dense);
    Case random = dense;
    for (auto& m : random.mask) m = rng() % 3 != 0;
    out.push_back(random);
    Case all_masked = dense;
    std::fill(all_masked.mask.begin(), all_masked.mask.end(), 0);
    out.push_back(all_masked);
    if (n > 0) {
      Case single = all_masked;
      single.mask[rng() % n] = 1;
      out.push_back(single);
      Case with_inf = random;
      with_inf.x[rng() % n] = -INFINITY;
      with_inf.x[n - 1] = -INFINITY;
      out.push_back(with_inf);
      Case all_inf = dense;
      std::fill(all_inf.x.begin(), all_inf.x.end(), -INFINITY);
      out.push_back(all_inf);
      Case huge = random;
      for (float& v : huge.x) v = (rng() % 2 ? 3e38f : -3e38f);
      out.push_back(huge);
    }
  }
  return out;
}

TEST(MaskedSoftmax, ScalarMatchesFloat64Definition) {
  for (const Case& c : cases()) {
    std::vector<float> out(c.x.size(), -1.0f);
    masked_softmax(c.x, c.mask, out, kScale, Isa::scalar);
    const auto want = reference(c.x, c.mask, kScale);
    for (std::size_t i = 0; i < out.size(); ++i) {
      expect_close(out[i], want[i], 1e-6,
                   "n=" + std::to_string(c.x.size()) + " i=" + std::to_string(i));
      if (!c.mask[i]) {
        ASSERT_EQ(out[i], 0.0f) << "masked position must be exactly 0";
      }
    }
  }
}

class MaskedSoftmaxPerIsa : public ::testing::TestWithParam<Isa> {};

TEST_P(MaskedSoftmaxPerIsa, EqualsScalarForAllLengthsAndMisalignments) {
  const Isa isa = GetParam();
  for (const Case& c : cases()) {
    const std::size_t n = c.x.size();
    std::vector<float> want(n);
    masked_softmax(c.x, c.mask, want, kScale, Isa::scalar);
    for (std::size_t offset : {0, 1, 3, 7}) {
      if (offset > 0 && n > 301) continue;
      // Copy to a deliberately misaligned start.
      std::vector<float> x(n + offset), out(n + offset, -1.0f);
      std::vector<std::uint8_t> mask(n + offset);
      std::copy(c.x.begin(), c.x.end(), x.begin() + offset);
      std::copy(c.mask.begin(), c.mask.end(), mask.begin() + offset);
      masked_softmax(std::span(x).subspan(offset),
                     std::span<const std::uint8_t>(mask).subspan(offset),
                     std::span(out).subspan(offset), kScale, isa);
      for (std::size_t i = 0; i < n; ++i) {
        expect_close(out[offset + i], want[i], 1e-6,
                     std::string(isa_name(isa)) + " n=" + std::to_string(n) +
                         " offset=" + std::to_string(offset) + " i=" + std::to_string(i));
        if (!c.mask[i]) {
          ASSERT_EQ(out[offset + i], 0.0f);
        }
      }
    }
  }
}

TEST_P(MaskedSoftmaxPerIsa, RangeFormEqualsMatrixForm) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(-5.0f, 5.0f);
  for (int n : {1, 5, 16, 17, 33, 100, 257}) {
    std::vector<float> x(n);
    for (float& v : x) v = value(rng);
    for (int trial = 0; trial < 10; ++trial) {
      const int begin = rng() % (n + 1);
      const int end = begin + rng() % (n - begin + 1);
      std::vector<std::uint8_t> mask(n, 0);
      std::fill(mask.begin() + begin, mask.begin() + end, 1);
      std::vector<float> by_mask(n), by_range(n, -1.0f);
      masked_softmax(x, mask, by_mask, kScale, GetParam());
      masked_softmax(x, RowRange{begin, end}, by_range, kScale, GetParam());
      EXPECT_EQ(by_mask, by_range) << "n=" << n << " [" << begin << "," << end << ")";
    }
  }
}

TEST_P(MaskedSoftmaxPerIsa, FullyMaskedRowIsZerosNotNan) {
  std::vector<float> x(37, 1.0f), out(37, 5.0f);
  std::vector<std::uint8_t> mask(37, 0);
  masked_softmax(x, mask, out, 1.0f, GetParam());
  for (float v : out) EXPECT_EQ(v, 0.0f);
  masked_softmax(x, RowRange{0, 0}, out, 1.0f, GetParam());
  for (float v : out) EXPECT_EQ(v, 0.0f);
}

TEST_P(MaskedSoftmaxPerIsa, RowsSumToOne) {
  std::vector<float> x(123);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i)) * 10;
  std::vector<std::uint8_t> mask(x.size(), 1);
  std::vector<float> out(x.size());
  masked_softmax(x, mask, out, 1.0f, GetParam());
  double sum = 0;
  for (float v : out) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(AllIsas, MaskedSoftmaxPerIsa, ::testing::ValuesIn(supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

TEST(MaskedSoftmax, RejectsBadArguments) {
  std::vector<float> x(4), out(3);
  std::vector<std::uint8_t> mask(4, 1);
  EXPECT_THROW(masked_softmax(x, mask, out, 1.0f), Error);
  std::vector<float> out4(4);
  EXPECT_THROW(masked_softmax(x, mask, out4, 0.0f), Error);
  std::vector<std::uint8_t> short_mask(2, 1);
  EXPECT_THROW(masked_softmax(x, short_mask, out4, 1.0f), Error);
}

}  // namespace
}  // namespace engine
