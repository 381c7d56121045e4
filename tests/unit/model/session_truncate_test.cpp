// Session::truncate: going back to position n keeps the cache before n, and what runs after it
// equals a fresh session that never saw the dropped tokens (the same blocks, so the same
// rounding: equal bit for bit). A windowed session refuses to go back past what its ring holds.
#include <gtest/gtest.h>

#include "engine/error.hpp"
#include "engine/model/session.hpp"
#include "expect_engine_error.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

// A fixed token stream (not sampled, so both sessions see the same tokens).
std::vector<int> token_stream(int n, int salt) {
  std::vector<int> tokens(n);
  tokens[0] = 1;  // BOS
  for (int i = 1; i < n; ++i) tokens[i] = 3 + (i * 37 + salt * 101) % 500;
  return tokens;
}

std::vector<float> run_one_by_one(Session& session, std::span<const int> tokens) {
  std::span<const float> logits;
  for (const int& token : tokens) logits = session.forward(std::span(&token, 1));
  return {logits.begin(), logits.end()};
}

std::vector<float> run_block(Session& session, std::span<const int> tokens) {
  const std::span<const float> logits = session.forward(tokens);
  return {logits.begin(), logits.end()};
}

std::shared_ptr<const Model> stories() {
  return Model::load(test::require_model("stories260K.gguf"));
}

TEST(SessionTruncate, RunsOnAsIfTheDroppedTokensWereNeverThere) {
  const auto model = stories();
  const std::vector<int> first = token_stream(40, 1), second = token_stream(12, 2);
  Session session(model), fresh(model);
  run_block(session, first);
  ASSERT_EQ(session.truncation_limit(), 0);
  session.truncate(25);
  EXPECT_EQ(session.position(), 25);
  const std::vector<float> after = run_block(session, second);

  run_block(fresh, std::span(first).first(25));
  EXPECT_EQ(after, run_block(fresh, second));
  EXPECT_EQ(session.position(), fresh.position());
}

TEST(SessionTruncate, WindowGoesBackOnlyAsFarAsItsRingHolds) {
  const auto model = stories();
  // A ring of window + block - 1 = 11 rows: after 30 tokens it holds positions 19..29, and a
  // query at n needs n - 7..n - 1, so n can go back to 26 = 30 - block.
  const SessionOptions options{.window = 8, .block = 4};
  const std::vector<int> first = token_stream(30, 3), second = token_stream(6, 4);
  Session session(model, options), fresh(model, options);
  run_one_by_one(session, first);
  EXPECT_EQ(session.truncation_limit(), 26);
  test::expect_engine_error([&] { session.truncate(25); }, ErrorCode::invalid_argument,
                            {"truncate to position 25"});
  EXPECT_EQ(session.position(), 30);
  session.truncate(26);
  const std::vector<float> after = run_one_by_one(session, second);

  run_one_by_one(fresh, std::span(first).first(26));
  EXPECT_EQ(after, run_one_by_one(fresh, second));
}

TEST(SessionTruncate, WindowBeforeItsRingWrapsGoesBackToTheStart) {
  const auto model = stories();
  const SessionOptions options{.window = 8, .block = 4};
  Session session(model, options);
  run_one_by_one(session, token_stream(11, 5));  // the ring's 11 rows, none overwritten yet
  EXPECT_EQ(session.truncation_limit(), 0);
}

TEST(SessionTruncate, RefusesPositionsItDoesNotHold) {
  const auto model = stories();
  Session session(model, 2);
  session.set_padding(1, 3);
  run_block(session, token_stream(10, 6));
  // Sequence 1's first 3 positions are padding: going back into them would unpad it.
  EXPECT_EQ(session.truncation_limit(), 3);
  test::expect_engine_error([&] { session.truncate(2); }, ErrorCode::invalid_argument,
                            {"can go back to 3..10"});
  test::expect_engine_error([&] { session.truncate(11); }, ErrorCode::invalid_argument,
                            {"truncate to position 11"});
  session.truncate(10);
  EXPECT_EQ(session.position(), 10);
}

}  // namespace
}  // namespace engine
