// The sampler is total: any logits give a token in range or one engine::Error, never a crash or
// a made-up token. -inf marks a token that may never be drawn; NaN and +inf mean the model broke.
#include "engine/generation/sampler.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <limits>
#include <random>
#include <vector>

#include "expect_engine_error.hpp"

namespace engine {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

SamplingOptions greedy() {
  return {.temperature = 0.0f};
}
SamplingOptions sampled() {
  return {.temperature = 1.0f, .top_k = 0, .top_p = 0.9f, .seed = 7};
}

void expect_not_finite_error(const SamplingOptions& options, std::vector<float> logits) {
  Sampler sampler(options);
  test::expect_engine_error([&] { sampler.sample(logits); }, ErrorCode::bad_format, {"not finite"});
}

TEST(Sampler, AllNaNLogitsAreAnErrorGreedyOrSampled) {
  expect_not_finite_error(greedy(), std::vector<float>(512, kNaN));
  expect_not_finite_error(sampled(), std::vector<float>(512, kNaN));
  expect_not_finite_error({.temperature = 0.8f, .top_k = 40, .top_p = 1.0f}, {kNaN, kNaN});
}

TEST(Sampler, OneNaNOrPlusInfinityAmongFiniteLogitsIsAnError) {
  for (const float bad : {kNaN, kInf}) {
    expect_not_finite_error(greedy(), {0.5f, bad, 1.0f});
    expect_not_finite_error(sampled(), {0.5f, 1.0f, bad});
  }
}

TEST(Sampler, ErrorNamesTheTokenAndValue) {
  Sampler sampler(greedy());
  std::vector<float> logits = {0.0f, 1.0f, kNaN, 2.0f};
  test::expect_engine_error([&] { sampler.sample(logits); }, ErrorCode::bad_format,
                            {"token 2", "nan"});
}

TEST(Sampler, AllMinusInfinityIsAnError) {
  expect_not_finite_error(greedy(), {-kInf, -kInf, -kInf});
  expect_not_finite_error(sampled(), {-kInf, -kInf});
}

TEST(Sampler, EmptyLogitsAreAnError) {
  Sampler sampler(sampled());
  std::vector<float> none;
  test::expect_engine_error([&] { sampler.sample(none); }, ErrorCode::invalid_argument,
                            {"no logits"});
}

// A token at -inf has probability 0: it is never drawn, whatever the seed.
TEST(Sampler, MinusInfinityTokensAreNeverDrawn) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Sampler sampler({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .seed = seed});
    std::vector<float> logits = {-kInf, 0.0f, -kInf, 0.0f, -kInf};
    const int token = sampler.sample(logits);
    EXPECT_TRUE(token == 1 || token == 3) << token;
  }
  Sampler argmax(greedy());
  std::vector<float> logits = {-kInf, -3.0f, -kInf};
  EXPECT_EQ(argmax.sample(logits), 1);
}

// A nucleus smaller than every probability (top-p below 1/n over flat logits) still holds the
// most likely token: the pre-sort cutoff must not leave no candidate at all.
TEST(Sampler, NucleusSmallerThanEveryProbabilityKeepsOneToken) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Sampler sampler({.temperature = 1.0f, .top_k = 0, .top_p = 0.1f, .seed = seed});
    std::vector<float> logits = {0.0f, 0.0f};
    EXPECT_EQ(sampler.sample(logits), 0);  // ties go to the lower id
  }
}

// Greedy is the first maximum, as a plain loop finds it.
TEST(Sampler, GreedyIsTheFirstMaximum) {
  std::vector<float> logits = {0.25f, -1.0f, 3.5f, 3.5f, 2.0f};
  Sampler sampler(greedy());
  EXPECT_EQ(sampler.sample(logits), 2);
}

// Over a vocabulary's length (the vectorised passes and their tails): the first maximum wherever
// it is and however often it repeats, -inf tokens around it, 0 and -0 tied; and an error names
// the first broken token when there are several.
TEST(Sampler, GreedyIsTheFirstMaximumOfALongVocabulary) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> logit(-8.0f, 8.0f);
  for (const std::size_t n : {1, 15, 16, 17, 1000, 32000, 32003}) {
    std::vector<float> logits(n);
    for (float& x : logits) x = logit(rng);
    for (std::size_t i = 0; i < n; i += 7) logits[i] = -kInf;
    for (const std::size_t at : {std::size_t{0}, n / 3, n - 1}) {
      std::vector<float> with_max = logits;
      with_max[at] = 9.0f;
      if (at + 5 < n) with_max[at + 5] = 9.0f;  // a later tie
      Sampler sampler(greedy());
      EXPECT_EQ(sampler.sample(with_max), static_cast<int>(at)) << "n " << n;
    }
  }
  std::vector<float> zeros = {-1.0f, -0.0f, 0.0f, -kInf};
  Sampler sampler(greedy());
  EXPECT_EQ(sampler.sample(zeros), 1);
  std::vector<float> broken(4000, 1.0f);
  broken[3001] = kInf;
  broken[3500] = kNaN;
  test::expect_engine_error([&] { sampler.sample(broken); }, ErrorCode::bad_format,
                            {"token 3001", "inf"});
}

}  // namespace
}  // namespace engine
