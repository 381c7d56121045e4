// One Model shared by several threads, each with its own Session: every thread gets exactly the
// tokens a single-threaded run gives. CI also runs these under ThreadSanitizer.
#include <gtest/gtest.h>

#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

constexpr int kThreads = 4;
constexpr int kRounds = 3;  // each thread repeats its job, so the runs overlap for longer

struct Job {
  std::string prompt;
  SamplingOptions sampling;
};

// The same prompt twice, other prompts, and one seeded sampling run (deterministic as well).
std::vector<Job> jobs() {
  const SamplingOptions greedy{.temperature = 0.0f};
  return {{"Once upon a time", greedy},
          {"Once upon a time", greedy},
          {"Lily and Ben went to the park", greedy},
          {"The little dog", {.temperature = 1.0f, .top_p = 0.9f, .seed = 7}}};
}

std::vector<int> run(const std::shared_ptr<const Model>& model, const Tokenizer& tokenizer,
                     const Job& job) {
  Session session(model);
  GenerationOptions options;
  options.max_new_tokens = 48;
  options.sampling = job.sampling;
  return generate(session, tokenizer, job.prompt, options).tokens;
}

// Kernel threads per calling thread: one each, so 4 sessions do not oversubscribe 2 cores with
// OpenMP teams (OpenMP keeps the count per thread; restored for the tests that follow).
class Concurrency : public ::testing::Test {
 protected:
  void SetUp() override { set_num_threads(1); }
  void TearDown() override { set_num_threads(saved_threads_); }

  // Runs body(i) on kThreads threads released together.
  template <class Body>
  static void run_threads(Body body) {
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&, i] {
        set_num_threads(1);
        start.arrive_and_wait();
        body(i);
      });
    for (auto& t : threads) t.join();
  }

 private:
  int saved_threads_ = num_threads();
};

TEST_F(Concurrency, SessionsOnOneModelMatchSingleThreadedRuns) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  const auto tokenizer = load_tokenizer(test::require_model("tok512.bin"));
  const std::vector<Job> all = jobs();
  std::vector<std::vector<int>> want;
  for (const Job& job : all) want.push_back(run(model, *tokenizer, job));
  ASSERT_EQ(want[0], want[1]);
  ASSERT_NE(want[0], want[2]);

  std::vector<std::vector<std::vector<int>>> got(kThreads);
  run_threads([&](int i) {
    for (int round = 0; round < kRounds; ++round) got[i].push_back(run(model, *tokenizer, all[i]));
  });
  for (int i = 0; i < kThreads; ++i)
    for (int round = 0; round < kRounds; ++round)
      EXPECT_EQ(got[i][round], want[i]) << "thread " << i << ", round " << round;
}

// Loading (and the start-up work the first load does) may also happen on several threads.
TEST_F(Concurrency, ModelsLoadedInParallelMatchSingleThreadedRuns) {
  const std::vector<Job> all = jobs();
  std::vector<std::vector<int>> got(kThreads);
  run_threads([&](int i) {
    const auto model = Model::load(test::require_model("stories260K.bin"));
    const auto tokenizer = load_tokenizer(test::require_model("tok512.bin"));
    got[i] = run(model, *tokenizer, all[i]);
  });
  const auto model = Model::load(test::require_model("stories260K.bin"));
  const auto tokenizer = load_tokenizer(test::require_model("tok512.bin"));
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(got[i], run(model, *tokenizer, all[i])) << i;
}

}  // namespace
}  // namespace engine
