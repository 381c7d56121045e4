// Batched generation: prompts of different lengths left-padded into one batch give, per
// sequence, exactly the text of running that prompt alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "engine/error.hpp"
#include "engine/generation/generator.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

const std::vector<std::string> kPrompts = {
    "The cat",
    "Lily and Tom went to the park.",
    "One day, a big bird flew over the tall tree and saw",
    "Once upon a time",
    "Tim had a red ball. He",
    "",
    "The sun was hot and the dog was thirsty, so",
    "Mom said",
};

class BatchGeneration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = Model::load(test::require_model("stories260K.bin"));
    tokenizer_ = load_tokenizer(test::require_model("tok512.bin"));
  }
  static void TearDownTestSuite() {
    model_.reset();
    tokenizer_.reset();
  }
  GenerationResult alone(const std::string& prompt, const GenerationOptions& options) {
    Session s(model_);
    return generate(s, *tokenizer_, prompt, options);
  }
  static inline std::shared_ptr<const Model> model_;
  static inline std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(BatchGeneration, GreedyEqualsUnbatchedForEveryBatchSizeAndOrder) {
  GenerationOptions options;
  options.max_new_tokens = 40;
  options.sampling.temperature = 0.0f;
  std::vector<GenerationResult> reference;
  for (const auto& p : kPrompts) reference.push_back(alone(p, options));

  std::mt19937 rng(3);
  for (int batch = 1; batch <= 8; ++batch) {
    std::vector<int> order(kPrompts.size());
    for (int i = 0; i < static_cast<int>(order.size()); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(batch);
    std::vector<std::string> prompts;
    for (int i : order) prompts.push_back(kPrompts[i]);
    Session session(model_, batch);
    const auto results = generate_batch(session, *tokenizer_, prompts, options);
    ASSERT_EQ(results.size(), prompts.size());
    for (int j = 0; j < batch; ++j) {
      EXPECT_EQ(results[j].tokens, reference[order[j]].tokens)
          << "batch " << batch << " prompt '" << prompts[j] << "'";
      EXPECT_EQ(results[j].text, reference[order[j]].text);
      EXPECT_EQ(results[j].finish_reason, reference[order[j]].finish_reason);
    }
  }
}

TEST_F(BatchGeneration, SampledSequenceDoesNotDependOnTheOthers) {
  GenerationOptions options;
  options.max_new_tokens = 30;
  options.sampling = {0.9f, 0, 0.9f, 1234};
  const GenerationResult single = alone(kPrompts[1], options);
  Session session(model_, 3);
  const std::vector<std::string> prompts = {kPrompts[2], kPrompts[1], kPrompts[0]};
  const auto results = generate_batch(session, *tokenizer_, prompts, options);
  EXPECT_EQ(results[1].tokens, single.tokens);
}

TEST_F(BatchGeneration, StreamsWithSequenceIndexAndStopsOneSequence) {
  GenerationOptions options;
  options.max_new_tokens = 10;
  options.sampling.temperature = 0.0f;
  Session session(model_, 2);
  const std::vector<std::string> prompts = {kPrompts[0], kPrompts[3]};
  std::vector<std::string> streamed(2);
  const auto results = generate_batch(session, *tokenizer_, prompts, options,
                                      [&](int index, int, std::string_view piece) {
                                        streamed[index] += piece;
                                        return index != 0 || streamed[0].size() < 5;
                                      });
  EXPECT_EQ(streamed[0], results[0].text);
  EXPECT_EQ(streamed[1], results[1].text);
  EXPECT_EQ(results[0].finish_reason, FinishReason::stopped);
  EXPECT_EQ(results[1].finish_reason, FinishReason::length);
  EXPECT_EQ(results[1].tokens.size(), 10u);
}

TEST_F(BatchGeneration, StopStringEndsTheTextBeforeIt) {
  GenerationOptions options;
  options.max_new_tokens = 100;
  options.sampling.temperature = 0.0f;
  const GenerationResult full = alone("Once upon a time", options);
  ASSERT_NE(full.text.find("Lily"), std::string::npos) << full.text;
  options.stop = {"Lily"};
  const GenerationResult stopped = alone("Once upon a time", options);
  EXPECT_EQ(stopped.finish_reason, FinishReason::stopped);
  EXPECT_EQ(stopped.text, full.text.substr(0, full.text.find("Lily")));
}

TEST_F(BatchGeneration, RejectsMorePromptsThanTheSessionHolds) {
  Session session(model_, 1);
  const std::vector<std::string> prompts = {"a", "b"};
  EXPECT_THROW(generate_batch(session, *tokenizer_, prompts, {}), Error);
  EXPECT_THROW(Session(model_, 0), Error);
}

}  // namespace
}  // namespace engine
