// Sliding-window sessions: the KV cache is a ring of only the rows the window needs, and what
// they compute equals a direct computation on a full cache through the sliding-window mask
// (Session::forward with sliding_window_mask, every key kept), on the real stories260K weights:
// for one block plus decode steps, for prompts run in chunks, for a left-padded batch, and past
// the context length, against a model loaded with a context long enough to hold everything.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "engine/attention/mask.hpp"
#include "engine/error.hpp"
#include "engine/generation/generator.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"
#include "expect_engine_error.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

using Logits = std::vector<std::vector<float>>;  // (positions, vocab)

// A fixed token stream (not sampled, so both sides of a comparison see the same tokens).
std::vector<int> token_stream(int n, int salt) {
  std::vector<int> tokens(n);
  tokens[0] = 1;  // BOS
  for (int i = 1; i < n; ++i) tokens[i] = 3 + (i * 37 + salt * 101) % 500;
  return tokens;
}

Logits rows_of(std::span<const float> logits, int vocab) {
  Logits rows(logits.size() / vocab);
  for (std::size_t t = 0; t < rows.size(); ++t)
    rows[t].assign(logits.begin() + t * vocab, logits.begin() + (t + 1) * vocab);
  return rows;
}

// How the windowed session splits `n` tokens of which the first `prompt` go in one call: the
// prompt in chunks of `block`, then one token per step. The direct computation runs the same
// blocks, so both sides do the same matmuls (a matmul's rounding depends on its row count) and
// differ only in what the ring changes: which keys the cache still holds, and in what order.
std::vector<int> blocks_of(int n, int prompt, int block) {
  std::vector<int> blocks;
  for (int begin = 0; begin < prompt; begin += block)
    blocks.push_back(std::min(block, prompt - begin));
  blocks.insert(blocks.end(), n - prompt, 1);
  return blocks;
}

// The direct computation: a full cache, every key kept, the window applied by the mask alone.
Logits direct_window_logits(const std::shared_ptr<const Model>& model,
                            const std::vector<int>& tokens, int window,
                            const std::vector<int>& blocks) {
  Session full(model);
  Logits rows;
  for (int T : blocks) {
    const int P = full.position();
    const auto logits =
        full.forward(std::span(tokens).subspan(P, T), sliding_window_block_mask(T, P, window),
                     /*all_logits=*/true);
    for (auto& row : rows_of(logits, model->config().vocab_size)) rows.push_back(std::move(row));
  }
  return rows;
}

// The windowed session: `prompt` tokens as one forward call (chunked inside when longer than
// the block), then the rest one decode step at a time. Every position's logits.
Logits windowed_logits(Session& session, const std::vector<int>& tokens, int prompt) {
  const int vocab = session.model().config().vocab_size;
  Logits rows =
      rows_of(session.forward(std::span(tokens).first(prompt), /*all_logits=*/true), vocab);
  for (std::size_t t = prompt; t < tokens.size(); ++t) {
    const auto step = session.forward(std::span(tokens).subspan(t, 1));
    rows.emplace_back(step.begin(), step.end());
  }
  return rows;
}

// Within 1e-5 of the position's logit scale (its largest |logit|, here ~17): the ring adds its
// keys in slot order, not position order, so the sums round differently. Seen: 8.6e-6 on the
// AVX2/AVX-512 kernels, 1.9e-5 on the scalar ones (one sequential sum, ~10 float ulps at 17);
// a wrong mask, slot or RoPE position is off by orders of magnitude more.
double relative_diff(const std::vector<float>& got, const std::vector<float>& want) {
  double diff = 0, scale = 1;
  for (std::size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::abs(got[i] - want[i])));
    scale = std::max(scale, static_cast<double>(std::abs(want[i])));
  }
  return got.size() == want.size() ? diff / scale : INFINITY;
}

void expect_close(const Logits& got, const Logits& want, int from, int to,
                  const std::string& name) {
  ASSERT_GE(got.size(), static_cast<std::size_t>(to)) << name;
  ASSERT_GE(want.size(), static_cast<std::size_t>(to)) << name;
  for (int t = from; t < to; ++t)
    EXPECT_LE(relative_diff(got[t], want[t]), 1e-5) << name << " @" << t;
}

class SlidingWindowSession : public ::testing::Test {
 protected:
  void SetUp() override { model_ = Model::load(test::require_model("stories260K.bin")); }
  std::shared_ptr<const Model> model_;
};

TEST_F(SlidingWindowSession, WindowAtLeastTheContextIsPlainCausalBitForBit) {
  const std::vector<int> tokens = token_stream(40, 1);
  Session causal(model_);
  const Logits want = windowed_logits(causal, tokens, 12);
  for (int window : {512, 513, 100000}) {
    Session windowed(model_, {.window = window});
    EXPECT_EQ(windowed.window(), 0);
    EXPECT_EQ(windowed.memory_bytes(), causal.memory_bytes());
    EXPECT_EQ(windowed_logits(windowed, tokens, 12), want) << window;
  }
  // And the text generate() writes.
  const auto tokenizer = load_tokenizer(test::require_model("tok512.bin"));
  GenerationOptions options;
  options.max_new_tokens = 40;
  options.sampling.temperature = 0;
  const GenerationResult plain = generate(causal, *tokenizer, "Once upon a time", options);
  Session windowed(model_, {.window = 512});
  const GenerationResult wide = generate(windowed, *tokenizer, "Once upon a time", options);
  EXPECT_EQ(wide.tokens, plain.tokens);
  EXPECT_EQ(wide.text, plain.text);
}

TEST_F(SlidingWindowSession, RingCacheHoldsOnlyTheWindow) {
  Session full(model_);
  Session windowed(model_, {.max_batch = 2, .window = 8, .block = 4});
  EXPECT_EQ(windowed.window(), 8);
  EXPECT_EQ(windowed.position_limit(), INT_MAX);
  EXPECT_EQ(full.position_limit(), 512);
  // 8 + 4 - 1 rows instead of 512, for each of 2 sequences.
  EXPECT_EQ(windowed.memory_bytes(), full.memory_bytes() * 2 * 11 / 512);
}

TEST_F(SlidingWindowSession, BlockThenDecodeStepsEqualTheDirectComputation) {
  // A 20-token prompt in chunks of the default block (the window, 8), then 100 decode steps:
  // the ring of 15 rows wraps many times.
  const std::vector<int> tokens = token_stream(120, 2);
  const Logits want = direct_window_logits(model_, tokens, 8, blocks_of(120, 20, 8));
  Session windowed(model_, {.window = 8});
  const Logits got = windowed_logits(windowed, tokens, 20);
  expect_close(got, want, 0, 120, "window 8");
  // Until the ring wraps (15 rows) the cache is the full one: the same bits.
  for (int t = 0; t < 15; ++t) EXPECT_EQ(got[t], want[t]) << t;
  EXPECT_EQ(windowed.position(), 120);
}

TEST_F(SlidingWindowSession, OneBlockLongerThanTheWindowEqualsTheDirectComputation) {
  // The whole 40-token prompt in one pass (block 40, ring of 45), then decode steps.
  const std::vector<int> tokens = token_stream(90, 3);
  Session windowed(model_, {.window = 6, .block = 40});
  expect_close(windowed_logits(windowed, tokens, 40),
               direct_window_logits(model_, tokens, 6, blocks_of(90, 40, 40)), 0, 90,
               "window 6, block 40");
}

TEST_F(SlidingWindowSession, ChunkedPromptEqualsTheDirectComputation) {
  // Chunks of 5 (the last one shorter) that wrap the ring of 9 rows inside the prompt.
  const std::vector<int> tokens = token_stream(67, 4);
  for (int block : {1, 5, 7}) {
    Session windowed(model_, {.window = 5, .block = block});
    expect_close(windowed_logits(windowed, tokens, 37),
                 direct_window_logits(model_, tokens, 5, blocks_of(67, 37, block)), 0, 67,
                 "block " + std::to_string(block));
  }
}

TEST_F(SlidingWindowSession, LeftPaddedBatchEqualsEachSequenceAlone) {
  const int W = 6, steps = 40;
  const std::vector<int> lengths = {13, 7, 10};
  const int B = 3, longest = 13;
  Session batch(model_, {.max_batch = B, .window = W, .block = 4});
  std::vector<std::vector<int>> streams;
  std::vector<int> block, sequences = {0, 1, 2};
  for (int b = 0; b < B; ++b) {
    streams.push_back(token_stream(lengths[b] + steps, 5 + b));
    batch.set_padding(b, longest - lengths[b]);
    block.insert(block.end(), longest - lengths[b], 0);
    block.insert(block.end(), streams[b].begin(), streams[b].begin() + lengths[b]);
  }
  std::vector<Logits> got(B);
  const int vocab = model_->config().vocab_size;
  auto keep = [&](std::span<const float> logits) {
    for (int b = 0; b < B; ++b)
      got[b].emplace_back(logits.begin() + b * vocab, logits.begin() + (b + 1) * vocab);
  };
  keep(batch.forward_batch(block, sequences));  // 13 columns in chunks of 4
  for (int t = 0; t < steps; ++t) {
    std::vector<int> step;
    for (int b = 0; b < B; ++b) step.push_back(streams[b][lengths[b] + t]);
    keep(batch.forward_batch(step, sequences));
  }
  for (int b = 0; b < B; ++b) {
    // Sequence b alone, unpadded, on a full cache: its logits from its last prompt token on.
    // Alone, its real tokens run in the blocks they had in the batch: chunks of 4 positions
    // counted from the start of the padding.
    const int padding = longest - lengths[b];
    std::vector<int> blocks;
    for (int begin = padding; begin < longest; begin = (begin / 4 + 1) * 4)
      blocks.push_back(std::min((begin / 4 + 1) * 4, longest) - begin);
    blocks.insert(blocks.end(), steps, 1);
    const Logits alone = direct_window_logits(model_, streams[b], W, blocks);
    const Logits want(alone.begin() + lengths[b] - 1, alone.end());
    expect_close(got[b], want, 0, steps + 1, "sequence " + std::to_string(b));
  }
}

// The ring keeps no padding, so a padded sequence's ring is laid out as when it runs alone: a
// left-padded batch gives, bit for bit, each sequence's logits on its own windowed session
// (with prompts up to the block, which then run as one chunk in both).
TEST_F(SlidingWindowSession, LeftPaddedBatchIsBitIdenticalToEachRingAlone) {
  const int W = 6, block = 16, steps = 40;
  const std::vector<int> lengths = {13, 7, 16, 1};
  const int B = static_cast<int>(lengths.size()), longest = 16;
  Session batch(model_, {.max_batch = B, .window = W, .block = block});
  std::vector<std::vector<int>> streams;
  std::vector<int> prompt_block, sequences;
  for (int b = 0; b < B; ++b) {
    streams.push_back(token_stream(lengths[b] + steps, 11 + b));
    batch.set_padding(b, longest - lengths[b]);
    prompt_block.insert(prompt_block.end(), longest - lengths[b], 0);
    prompt_block.insert(prompt_block.end(), streams[b].begin(), streams[b].begin() + lengths[b]);
    sequences.push_back(b);
  }
  const int vocab = model_->config().vocab_size;
  std::vector<Logits> got(B);
  auto keep = [&](std::span<const float> logits) {
    for (int b = 0; b < B; ++b)
      got[b].emplace_back(logits.begin() + b * vocab, logits.begin() + (b + 1) * vocab);
  };
  keep(batch.forward_batch(prompt_block, sequences));
  for (int t = 0; t < steps; ++t) {
    std::vector<int> step;
    for (int b = 0; b < B; ++b) step.push_back(streams[b][lengths[b] + t]);
    keep(batch.forward_batch(step, sequences));
  }
  for (int b = 0; b < B; ++b) {
    Session alone(model_, {.window = W, .block = block});
    const std::span<const int> stream(streams[b]);
    for (int t = 0; t <= steps; ++t) {
      const std::span<const float> want =
          t == 0 ? alone.forward(stream.first(lengths[b]))
                 : alone.forward(stream.subspan(lengths[b] + t - 1, 1));
      ASSERT_TRUE(std::equal(want.begin(), want.end(), got[b][t].begin()))
          << "sequence " << b << ", step " << t;
    }
  }
}

TEST_F(SlidingWindowSession, RunsPastTheContextLength) {
  // A context of 64 and a window of 32: 210 positions, RoPE past the model's table.
  const auto short_model = Model::load(test::require_model("stories260K.bin"), DType::f32, 64);
  const auto long_model = Model::load(test::require_model("stories260K.bin"), DType::f32, 512);
  const std::vector<int> tokens = token_stream(210, 6);
  Session windowed(short_model, {.window = 32});
  EXPECT_LT(windowed.memory_bytes(), Session(short_model).memory_bytes());
  const Logits got = windowed_logits(windowed, tokens, 10);
  const std::vector<int> blocks = blocks_of(210, 10, 32);  // the prompt, then 200 steps
  EXPECT_EQ(windowed.position(), 210);
  // Inside the context: the untrimmed window computation of the same model.
  expect_close(got,
               direct_window_logits(short_model, tokens, 32,
                                    std::vector<int>(blocks.begin(), blocks.begin() + 55)),
               0, 64, "inside the context");
  // Everywhere: a model whose context holds all 210 positions, the window by the mask alone.
  expect_close(got, direct_window_logits(long_model, tokens, 32, blocks), 0, 210,
               "past the context");
}

TEST_F(SlidingWindowSession, GenerationRunsPastTheContext) {
  const auto short_model = Model::load(test::require_model("stories260K.bin"), DType::f32, 64);
  const auto tokenizer = load_tokenizer(test::require_model("tok512.bin"));
  GenerationOptions options;
  options.max_new_tokens = 300;
  options.sampling.temperature = 1.0f;
  options.sampling.seed = 4;  // a story that runs 300 tokens without EOS
  Session plain(short_model);
  const GenerationResult full = generate(plain, *tokenizer, "", options);
  EXPECT_EQ(full.finish_reason, FinishReason::context);
  EXPECT_EQ(plain.position(), 64);
  Session windowed(short_model, {.window = 16});
  const GenerationResult r = generate(windowed, *tokenizer, "", options);
  EXPECT_EQ(r.finish_reason, FinishReason::length);
  EXPECT_EQ(r.tokens.size(), 300u);
  EXPECT_EQ(windowed.position(), 300);  // BOS + 299 fed back; the last token is not run
}

TEST(SlidingWindowGpt2, RingEqualsTheDirectComputationUntilTheLearnedPositionsEnd) {
  // GPT-2 learned 128 positions: a window trims its cache, but there is no position 128.
  const auto model = Model::load(test::require_model("gpt2-tiny-random.gguf"));
  const std::vector<int> tokens = token_stream(128, 7);
  Session windowed(model, {.window = 16});
  EXPECT_EQ(windowed.position_limit(), 128);
  EXPECT_LT(windowed.memory_bytes(), Session(model).memory_bytes());
  expect_close(windowed_logits(windowed, tokens, 40),
               direct_window_logits(model, tokens, 16, blocks_of(128, 40, 16)), 0, 128,
               "gpt2 window 16");
  test::expect_engine_error([&] { windowed.forward(std::span(tokens).first(1)); },
                            ErrorCode::context_full, {"128"});
}

TEST_F(SlidingWindowSession, ACallersMaskOrBadOptionsAreRejected) {
  Session windowed(model_, {.window = 4});
  const std::vector<int> tokens = {1, 2, 3};
  EXPECT_THROW(windowed.forward(tokens, sliding_window_mask(3, 4)), Error);
  EXPECT_THROW(Session(model_, {.window = -1}), Error);
  EXPECT_THROW(Session(model_, {.window = 4, .block = -1}), Error);
  EXPECT_THROW(Session(model_, {.window = 4, .block = 1 << 30}), Error);
}

}  // namespace
}  // namespace engine
