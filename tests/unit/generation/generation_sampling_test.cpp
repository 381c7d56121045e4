// generate() with llama.cpp's penalties and with per-token log-probabilities, checked against a
// loop written here: the session's own logits, the penalties and the log-softmax in double from
// their definitions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "engine/generation/generator.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

// stories260K and its tokenizer, loaded once for the suite.
const std::shared_ptr<const Model>& stories() {
  static const std::shared_ptr<const Model> model =
      Model::load(test::require_model("stories260K.bin"));
  return model;
}
const Tokenizer& tok512() {
  static const std::unique_ptr<Tokenizer> tokenizer =
      load_tokenizer(test::require_model("tok512.bin"));
  return *tokenizer;
}

// Greedy decoding where each step takes the argmax of the logits after the penalties over the
// last `last_n` tokens of prompt and output: a seen token's logit divided by `repeat` when
// positive (multiplied otherwise), less count * frequency + presence.
std::vector<int> penalised_greedy(const std::shared_ptr<const Model>& model,
                                  std::vector<int> history, int steps, double repeat, int last_n,
                                  double presence, double frequency) {
  Session session(model);
  std::span<const float> logits = session.forward(history);
  std::vector<int> out;
  for (int step = 0; step < steps; ++step) {
    std::vector<double> l(logits.begin(), logits.end());
    std::map<int, int> count;
    const std::size_t n = std::min<std::size_t>(history.size(), last_n);
    for (std::size_t i = history.size() - n; i < history.size(); ++i) ++count[history[i]];
    for (const auto& [token, c] : count) {
      l[token] = l[token] <= 0 ? l[token] * repeat : l[token] / repeat;
      l[token] -= c * frequency + presence;
    }
    const int next = static_cast<int>(std::max_element(l.begin(), l.end()) - l.begin());
    out.push_back(next);
    history.push_back(next);
    const int one[] = {next};
    logits = session.forward(one);
  }
  return out;
}

TEST(GenerationSampling, GreedyWithPenaltiesFollowsTheReference) {
  const std::string prompt = "Once upon a time, there was a little girl named Lily.";
  const std::vector<int> prompt_tokens = tok512().encode(prompt, true, false);
  GenerationOptions options;
  options.max_new_tokens = 40;
  options.ignore_eos = false;
  options.sampling = {.temperature = 0.0f,
                      .repeat_penalty = 1.3f,
                      .repeat_last_n = 16,
                      .presence_penalty = 0.4f,
                      .frequency_penalty = 0.2f};
  Session session(stories());
  const GenerationResult result = generate(session, tok512(), prompt, options);
  const std::vector<int> want = penalised_greedy(stories(), prompt_tokens, 40, 1.3, 16, 0.4, 0.2);
  // The reference runs on past an end-of-generation token; generate stops there.
  ASSERT_GT(result.tokens.size(), 10u);
  EXPECT_EQ(result.tokens, std::vector<int>(want.begin(), want.begin() + result.tokens.size()));
  // Without penalties greedy decoding is another text, so the penalties were in force.
  options.sampling = {.temperature = 0.0f};
  EXPECT_NE(generate(session, tok512(), prompt, options).tokens, result.tokens);
}

// n_probs: each generated token's log-probability and the k most likely, from the log-softmax
// of the session's logits at that step (before any penalty or truncation).
TEST(GenerationSampling, TopLogProbabilitiesAreTheLogSoftmaxOfTheLogits) {
  const std::string prompt = "Lily saw a big";
  GenerationOptions options;
  options.max_new_tokens = 12;
  options.n_probs = 4;
  options.sampling = {.temperature = 0.8f, .top_p = 0.95f, .seed = 9, .repeat_penalty = 1.2f};
  Session session(stories());
  const GenerationResult result = generate(session, tok512(), prompt, options);
  ASSERT_EQ(result.probabilities.size(), result.tokens.size());
  ASSERT_GT(result.tokens.size(), 3u);

  Session reference(stories());
  std::span<const float> logits = reference.forward(result.prompt_tokens);
  for (std::size_t i = 0; i < result.tokens.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "token " << i);
    double max = *std::max_element(logits.begin(), logits.end()), sum = 0.0;
    for (const float l : logits) sum += std::exp(l - max);
    const auto logprob = [&](int t) { return logits[t] - max - std::log(sum); };
    std::vector<int> ids(logits.size());
    std::iota(ids.begin(), ids.end(), 0);
    std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return logits[a] > logits[b]; });

    const TokenProbabilities& p = result.probabilities[i];
    EXPECT_EQ(p.token, result.tokens[i]);
    EXPECT_NEAR(p.logprob, logprob(p.token), 1e-4);
    ASSERT_EQ(p.top.size(), 4u);
    for (std::size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(p.top[k].first, ids[k]);
      EXPECT_NEAR(p.top[k].second, logprob(ids[k]), 1e-4);
    }
    const int one[] = {result.tokens[i]};
    logits = reference.forward(one);
  }
}

}  // namespace
}  // namespace engine
