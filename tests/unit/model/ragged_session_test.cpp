// Ragged steps: sequences at different positions, each with its own number of tokens, in one
// forward pass. Each row's logits equal those of its sequence run alone (bit for bit on the
// per-row kernels) and a double-precision reference forward of the model's definition.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "engine/model/session.hpp"
#include "family_file.hpp"
#include "family_reference.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

using Tokens = std::vector<int>;

const Tokens kStory = {1,   403, 407, 261, 378, 429, 287, 411, 374, 290, 325, 311, 267,
                       282, 407, 261, 300, 330, 286, 395, 290, 325, 311, 267, 282, 407};

Tokens slice(const Tokens& tokens, std::size_t begin, std::size_t count) {
  return {tokens.begin() + begin, tokens.begin() + begin + count};
}

// The logits of the last token of `steps` fed one after another to a session of its own.
std::vector<float> alone(const std::shared_ptr<const Model>& model,
                         const std::vector<Tokens>& steps, const SessionOptions& options = {}) {
  Session session(model, options);
  std::span<const float> logits;
  for (const Tokens& step : steps) logits = session.forward(step);
  return {logits.begin(), logits.end()};
}

float max_difference(std::span<const float> a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

// Sequences, each fed its own history in ragged steps of different shapes; every step's rows
// against each sequence alone, and with `reference` against the double-precision forward
// (largest difference in `vs_reference`). `history[s]` is the list of blocks sequence s runs,
// step by step (an empty block: it sits that step out).
float ragged_against_alone(const std::shared_ptr<const Model>& model,
                           const std::vector<std::vector<Tokens>>& history,
                           const SessionOptions& options = {},
                           const test::RefModel* reference = nullptr,
                           double* vs_reference = nullptr) {
  SessionOptions batch_options = options;
  batch_options.max_batch = static_cast<int>(history.size());
  Session session(model, batch_options);
  const std::size_t vocab = model->config().vocab_size;
  const std::size_t steps = history[0].size();
  float worst = 0;
  for (std::size_t step = 0; step < steps; ++step) {
    std::vector<SequenceTokens> blocks;
    for (std::size_t s = 0; s < history.size(); ++s)
      if (!history[s][step].empty())
        blocks.push_back({.sequence = static_cast<int>(s), .tokens = history[s][step]});
    const std::span<const float> logits = session.forward_ragged(blocks);
    EXPECT_EQ(logits.size(), blocks.size() * vocab);
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const std::size_t s = blocks[i].sequence;
      std::vector<Tokens> own;
      Tokens fed;
      for (std::size_t k = 0; k <= step; ++k)
        if (!history[s][k].empty()) {
          own.push_back(history[s][k]);
          fed.insert(fed.end(), history[s][k].begin(), history[s][k].end());
        }
      const std::span<const float> row = logits.subspan(i * vocab, vocab);
      worst = std::max(worst, max_difference(row, alone(model, own, options)));
      if (reference) {
        const std::vector<double> want = test::reference_logits(*reference, fed).back();
        *vs_reference = std::max(*vs_reference, test::max_error(row, want));
      }
    }
  }
  return worst;
}

// Every step under 17 rows stays on the per-row kernels, which sum each row alike whatever the
// other rows: the same bits as alone.
TEST(RaggedSession, RowsEqualEachSequenceAloneBitForBit) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  const std::vector<std::vector<Tokens>> history = {
      {slice(kStory, 0, 5), slice(kStory, 5, 1), slice(kStory, 6, 1), slice(kStory, 7, 1)},
      {slice(kStory, 3, 3), {}, slice(kStory, 6, 4), slice(kStory, 10, 1)},
      {{}, slice(kStory, 0, 2), slice(kStory, 2, 1), slice(kStory, 3, 6)}};
  EXPECT_EQ(ragged_against_alone(model, history), 0.0f);
}

// A prompt chunk beside decode rows, on a model wide enough for the step (26 rows) to take the
// block path: every row then runs on the block kernels, which sum in another order than the
// per-row ones alone: within 1e-4 of alone (the block path's tolerance in session_test) and of
// the double-precision forward.
TEST(RaggedSession, DecodeRowsBesideALongChunkStayClose) {
  test::FamilyFile file("llama");
  file.dim = 256;
  file.hidden = 512;
  file.heads = 8;
  file.kv_heads = 4;
  file.head = 32;
  file.vocab = 512;
  const test::TempFamilyFile written(file);
  const test::RefModel m = test::read_reference_model(written.path);
  const auto model = Model::load(written.path);
  const std::vector<std::vector<Tokens>> history = {
      {slice(kStory, 0, 4), slice(kStory, 4, 1), slice(kStory, 5, 1)},
      {slice(kStory, 2, 2), slice(kStory, 4, 1), slice(kStory, 5, 1)},
      {{}, {}, slice(kStory, 0, 24)}};
  double vs_reference = 0;
  EXPECT_LE(ragged_against_alone(model, history, {}, &m, &vs_reference), 1e-4f);
  EXPECT_LE(vs_reference, 1e-4);
}

// With a sliding window the blocks longer than the session's block run in chunks side by side.
TEST(RaggedSession, WindowedBlocksChunkSideBySide) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  const std::vector<std::vector<Tokens>> history = {
      {slice(kStory, 0, 10), slice(kStory, 10, 1), slice(kStory, 11, 9)},
      {slice(kStory, 4, 3), slice(kStory, 7, 6), slice(kStory, 13, 1)}};
  EXPECT_EQ(ragged_against_alone(model, history, {.window = 5, .block = 4}), 0.0f);
}

// Against the double-precision forward of the model's definition: sequences that joined at
// different times, with different prompt lengths, in one pass.
TEST(RaggedSession, RowsEqualTheDoubleReference) {
  const test::TempFamilyFile written(test::FamilyFile("llama"));
  const test::RefModel m = test::read_reference_model(written.path);
  const auto model = Model::load(written.path);
  const std::size_t vocab = model->config().vocab_size;
  const Tokens a = {1, 17, 250, 3, 99, 42, 7, 180, 5}, b = {1, 64, 2, 33, 8, 12}, c = {1, 9};
  Session session(model, 3);
  const SequenceTokens first[] = {{.sequence = 0, .tokens = std::span(a).first(7)}};
  session.forward_ragged(first);
  const SequenceTokens second[] = {{.sequence = 0, .tokens = std::span(a).subspan(7, 1)},
                                   {.sequence = 2, .tokens = std::span(b).first(4)}};
  session.forward_ragged(second);
  const SequenceTokens third[] = {{.sequence = 2, .tokens = std::span(b).subspan(4)},
                                  {.sequence = 0, .tokens = std::span(a).subspan(8)},
                                  {.sequence = 1, .tokens = c}};
  const std::span<const float> logits = session.forward_ragged(third);
  double worst = 0;
  const Tokens* fed[] = {&b, &a, &c};
  for (int i = 0; i < 3; ++i)
    test::expect_near(logits.subspan(i * vocab, vocab), test::reference_logits(m, *fed[i]).back(),
                      1e-4, "block " + std::to_string(i), worst);
  EXPECT_EQ(session.position(0), 9);
  EXPECT_EQ(session.position(1), 2);
  EXPECT_EQ(session.position(2), 6);
  EXPECT_EQ(session.position(), 9);
}

// A freed sequence starts again at position 0 while the others go on undisturbed.
TEST(RaggedSession, ResetSequenceFreesOnlyThatSequence) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  const std::size_t vocab = model->config().vocab_size;
  Session session(model, 2);
  const Tokens a = slice(kStory, 0, 6), b = slice(kStory, 6, 5), fresh = slice(kStory, 12, 3);
  const SequenceTokens both[] = {{.sequence = 0, .tokens = a}, {.sequence = 1, .tokens = b}};
  session.forward_ragged(both);
  session.reset_sequence(1);
  EXPECT_EQ(session.position(0), 6);
  EXPECT_EQ(session.position(1), 0);
  const Tokens next = slice(kStory, 6, 1);
  const SequenceTokens again[] = {{.sequence = 1, .tokens = fresh},
                                  {.sequence = 0, .tokens = next}};
  const std::span<const float> logits = session.forward_ragged(again);
  EXPECT_EQ(max_difference(logits.first(vocab), alone(model, {fresh})), 0.0f);
  EXPECT_EQ(max_difference(logits.subspan(vocab, vocab), alone(model, {a, next})), 0.0f);
}

TEST(RaggedSession, BadStepsAreRefusedWithoutRunning) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  Session session(model, 2);
  const Tokens one = {1}, empty;
  // The error a step throws, or none when it runs.
  const auto code_of = [&](std::vector<SequenceTokens> blocks) -> std::optional<ErrorCode> {
    try {
      session.forward_ragged(blocks);
    } catch (const Error& e) {
      return e.code();
    }
    return std::nullopt;
  };
  EXPECT_EQ(code_of({}), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of({{.sequence = 0, .tokens = one}, {.sequence = 0, .tokens = one}}),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code_of({{.sequence = 2, .tokens = one}}), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of({{.sequence = 1, .tokens = empty}}), ErrorCode::invalid_argument);
  EXPECT_EQ(session.position(), 0);  // nothing ran
  // Sequence 0 full to the last position: one more token of it no longer fits, sequence 1 does.
  const Tokens fill(session.context_length() - 1, 1);
  const SequenceTokens filling[] = {{.sequence = 0, .tokens = fill}};
  session.forward_ragged(filling);
  EXPECT_EQ(code_of({{.sequence = 1, .tokens = one}, {.sequence = 0, .tokens = Tokens{1, 1}}}),
            ErrorCode::context_full);
  EXPECT_EQ(code_of({{.sequence = 1, .tokens = one}, {.sequence = 0, .tokens = one}}),
            std::nullopt);
  EXPECT_THROW(session.position(2), Error);
}

}  // namespace
}  // namespace engine
