// llama.cpp's sampling chain: penalties, top-k, top-p, min-p, temperature, then a draw. The
// reference below is written from the definitions, in double, one step after the other; the
// sampler must choose as greedy argmax of it and draw with its probabilities.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <vector>

#include "engine/generation/sampler.hpp"
#include "expect_engine_error.hpp"

namespace engine {
namespace {

// The logits after the repetition, frequency and presence penalties over the last
// repeat_last_n tokens of `history` (-1: all of it): a token seen c times has its logit divided
// by the repeat penalty when positive (multiplied when not), then lowered by
// c * frequency + presence.
std::vector<double> penalised(const std::vector<float>& logits, const std::vector<int>& history,
                              const SamplingOptions& o) {
  std::vector<double> l(logits.begin(), logits.end());
  const std::size_t n =
      o.repeat_last_n < 0 ? history.size() : std::min<std::size_t>(history.size(), o.repeat_last_n);
  std::map<int, int> count;
  for (std::size_t i = history.size() - n; i < history.size(); ++i) ++count[history[i]];
  for (const auto& [token, c] : count) {
    double& v = l[token];
    v = v <= 0 ? v * o.repeat_penalty : v / o.repeat_penalty;
    v -= c * o.frequency_penalty + o.presence_penalty;
  }
  return l;
}

// The probability of each token after the whole chain.
std::vector<double> reference_distribution(const std::vector<float>& logits,
                                           const std::vector<int>& history,
                                           const SamplingOptions& o) {
  const std::vector<double> l = penalised(logits, history, o);
  std::vector<int> kept(l.size());
  std::iota(kept.begin(), kept.end(), 0);
  std::stable_sort(kept.begin(), kept.end(), [&](int a, int b) { return l[a] > l[b]; });
  if (o.top_k > 0 && static_cast<std::size_t>(o.top_k) < kept.size()) kept.resize(o.top_k);
  const auto softmax = [&](double temperature) {
    std::vector<double> p(l.size(), 0.0);
    double sum = 0.0;
    for (const int t : kept) sum += p[t] = std::exp((l[t] - l[kept[0]]) / temperature);
    for (double& v : p) v /= sum;
    return p;
  };
  if (o.top_p < 1.0f) {  // the fewest most likely tokens whose mass reaches top_p
    const std::vector<double> p = softmax(1.0);
    double mass = 0.0;
    for (std::size_t i = 0; i < kept.size(); ++i)
      if ((mass += p[kept[i]]) >= o.top_p) {
        kept.resize(i + 1);
        break;
      }
  }
  if (o.min_p > 0.0f) {  // probability at least min_p times the largest
    const std::vector<double> p = softmax(1.0);
    std::erase_if(kept, [&](int t) { return p[t] < o.min_p * p[kept[0]]; });
  }
  return softmax(o.temperature);
}

int reference_argmax(const std::vector<float>& logits, const std::vector<int>& history,
                     const SamplingOptions& o) {
  const std::vector<double> l = penalised(logits, history, o);
  return static_cast<int>(std::max_element(l.begin(), l.end()) - l.begin());
}

// Draws `draws` tokens from one sampler and returns how often each came up, as a fraction.
std::vector<double> frequencies(const std::vector<float>& logits, const std::vector<int>& history,
                                SamplingOptions o, int draws) {
  std::vector<double> seen(logits.size(), 0.0);
  Sampler sampler(o);
  for (int i = 0; i < draws; ++i) {
    std::vector<float> scratch = logits;
    seen[sampler.sample(scratch, history)] += 1.0 / draws;
  }
  return seen;
}

// Every token the reference allows comes up about as often as it says (within 5 standard
// deviations of a binomial), and no other token ever does.
void expect_draws_follow_reference(const std::vector<float>& logits,
                                   const std::vector<int>& history, const SamplingOptions& o) {
  constexpr int kDraws = 20000;
  const std::vector<double> want = reference_distribution(logits, history, o);
  const std::vector<double> got = frequencies(logits, history, o, kDraws);
  for (std::size_t t = 0; t < want.size(); ++t) {
    if (want[t] == 0.0) {
      EXPECT_EQ(got[t], 0.0) << "token " << t << " is outside the chain's set";
    } else {
      const double sigma = std::sqrt(want[t] * (1 - want[t]) / kDraws);
      EXPECT_NEAR(got[t], want[t], 5 * sigma + 1e-9) << "token " << t;
    }
  }
}

std::vector<float> random_logits(std::mt19937& rng, int n) {
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> logits(n);
  for (float& l : logits) l = normal(rng);
  return logits;
}

std::vector<int> random_history(std::mt19937& rng, int vocab, int length) {
  std::uniform_int_distribution<int> token(0, vocab - 1);
  std::vector<int> history(length);
  for (int& t : history) t = token(rng);
  return history;
}

TEST(SamplerChain, GreedyIsTheArgmaxOfThePenalisedLogits) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> penalty(0.5f, 2.0f), additive(-1.0f, 2.0f);
  std::uniform_int_distribution<int> last_n(-1, 12);
  int changed = 0;
  for (int round = 0; round < 300; ++round) {
    const std::vector<float> logits = random_logits(rng, 16);
    const std::vector<int> history = random_history(rng, 16, 10);
    const SamplingOptions o{.temperature = 0.0f,
                            .repeat_penalty = penalty(rng),
                            .repeat_last_n = last_n(rng),
                            .presence_penalty = additive(rng),
                            .frequency_penalty = additive(rng)};
    std::vector<float> scratch = logits;
    EXPECT_EQ(Sampler(o).sample(scratch, history), reference_argmax(logits, history, o))
        << "round " << round;
    changed += reference_argmax(logits, history, o) !=
               static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
  EXPECT_GT(changed, 30) << "the cases should exercise the penalties";
}

TEST(SamplerChain, RepeatPenaltyCountsOnlyTheLastNTokens) {
  const std::vector<float> logits = {2.0f, 1.9f, -0.5f, 0.0f};
  SamplingOptions o{.temperature = 0.0f, .repeat_penalty = 1.5f, .repeat_last_n = 2};
  std::vector<float> scratch = logits;
  // Token 0 was seen three tokens back: outside the window, so it stays the argmax.
  EXPECT_EQ(Sampler(o).sample(scratch, std::vector<int>{0, 3, 3}), 0);
  scratch = logits;
  EXPECT_EQ(Sampler(o).sample(scratch, std::vector<int>{3, 0, 3}), 1);  // 2.0 / 1.5 < 1.9
  o.repeat_last_n = 0;  // no window: no penalty at all
  scratch = logits;
  EXPECT_EQ(Sampler(o).sample(scratch, std::vector<int>{0, 0}), 0);
  o.repeat_last_n = -1;  // the whole history
  scratch = logits;
  EXPECT_EQ(Sampler(o).sample(scratch, std::vector<int>{0, 3, 3, 3, 3}), 1);
}

// A negative logit is multiplied by the penalty, so a seen token never becomes more likely.
TEST(SamplerChain, RepeatPenaltyLowersNegativeLogitsToo) {
  const std::vector<float> logits = {-1.0f, -1.2f};
  const SamplingOptions o{.temperature = 0.0f, .repeat_penalty = 1.5f};
  std::vector<float> scratch = logits;
  EXPECT_EQ(Sampler(o).sample(scratch, std::vector<int>{0}), 1);  // -1.5 < -1.2
}

// Top-p is taken on the distribution before temperature, as in llama.cpp: with logits 3, 2, 1, 0
// the probabilities are 0.644, 0.237, 0.087, 0.032, so a nucleus of 0.7 holds tokens 0 and 1
// only; at temperature 3 first they would be 0.39, 0.28, 0.20, 0.14 and the nucleus would take
// token 2 as well.
TEST(SamplerChain, TopPActsBeforeTemperature) {
  const std::vector<float> logits = {3.0f, 2.0f, 1.0f, 0.0f};
  const SamplingOptions o{.temperature = 3.0f, .top_p = 0.7f, .seed = 3};
  const std::vector<double> seen = frequencies(logits, {}, o, 4000);
  EXPECT_EQ(seen[2], 0.0);
  EXPECT_EQ(seen[3], 0.0);
  EXPECT_GT(seen[0], 0.4);
  EXPECT_GT(seen[1], 0.3);  // 1 / (1 + e^(1/3)) = 0.417 of the two at temperature 3
  expect_draws_follow_reference(logits, {}, o);
}

// Min-p keeps the tokens at least min_p times as likely as the most likely one, before
// temperature: with logits 0, -1, -2, -3 and min-p 0.3 that is tokens 0 and 1 (e^-1 = 0.37,
// e^-2 = 0.14).
TEST(SamplerChain, MinPKeepsTokensNearTheMostLikely) {
  const std::vector<float> logits = {0.0f, -1.0f, -2.0f, -3.0f};
  const SamplingOptions o{.temperature = 2.0f, .top_p = 1.0f, .seed = 5, .min_p = 0.3f};
  const std::vector<double> seen = frequencies(logits, {}, o, 4000);
  EXPECT_EQ(seen[2] + seen[3], 0.0);
  EXPECT_GT(seen[1], 0.3);
  expect_draws_follow_reference(logits, {}, o);
}

// Logits far apart (a token at -200 next to one at 0) give probabilities e^-200 apart, not an
// overflow: the likely token is drawn every time.
TEST(SamplerChain, LogitsFarApartDrawTheLikelyToken) {
  const std::vector<float> logits = {-200.0f, 0.0f, -150.0f};
  for (const SamplingOptions& o : {SamplingOptions{.top_p = 1.0f, .seed = 1},
                                   SamplingOptions{.top_p = 0.5f, .seed = 2, .min_p = 0.1f}}) {
    const std::vector<double> seen = frequencies(logits, {}, o, 500);
    EXPECT_EQ(seen[0] + seen[2], 0.0);
  }
}

TEST(SamplerChain, DrawsFollowTheWholeChain) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> penalty(0.8f, 1.6f), additive(0.0f, 1.0f),
      temperature(0.3f, 2.0f), top_p(0.5f, 1.0f), min_p(0.0f, 0.2f);
  std::uniform_int_distribution<int> top_k(0, 8), last_n(-1, 8);
  for (int round = 0; round < 8; ++round) {
    const std::vector<float> logits = random_logits(rng, 12);
    const std::vector<int> history = random_history(rng, 12, 8);
    const SamplingOptions o{.temperature = temperature(rng),
                            .top_k = top_k(rng),
                            .top_p = top_p(rng),
                            .seed = static_cast<std::uint64_t>(round),
                            .min_p = min_p(rng),
                            .repeat_penalty = penalty(rng),
                            .repeat_last_n = last_n(rng),
                            .presence_penalty = additive(rng),
                            .frequency_penalty = additive(rng)};
    SCOPED_TRACE(testing::Message() << "round " << round);
    expect_draws_follow_reference(logits, history, o);
  }
}

TEST(SamplerChain, OptionsOutOfRangeAreErrors) {
  const auto expect_invalid = [](const SamplingOptions& o, const char* needle) {
    test::expect_engine_error([&] { validate(o); }, ErrorCode::invalid_argument, {needle});
  };
  expect_invalid({.min_p = -0.1f}, "min-p");
  expect_invalid({.min_p = 1.5f}, "min-p");
  expect_invalid({.repeat_penalty = 0.0f}, "repeat penalty");
  expect_invalid({.repeat_penalty = std::nanf("")}, "repeat penalty");
  expect_invalid({.repeat_last_n = -2}, "repeat-last-n");
  expect_invalid({.presence_penalty = std::numeric_limits<float>::infinity()}, "presence");
  expect_invalid({.frequency_penalty = std::nanf("")}, "frequency");
}

}  // namespace
}  // namespace engine
