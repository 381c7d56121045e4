// Decode steps run as a crew of threads (util/crew.hpp) give the logits of the same steps on one
// thread, bit for bit: each output is computed whole by one member with the same kernel, so
// sharing the work cannot change a sum. Single-token and batched steps, on a random model just
// big enough for its steps to be shared (stories260K's run on one thread). CI also runs this
// under ThreadSanitizer: no OpenMP region opens in it (decode steps only, the model loaded on
// one thread).
#include <gtest/gtest.h>
#include <omp.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.hpp"
#include "ops/matmul.hpp"
#include "util/thread_team.hpp"

namespace engine {
namespace {

constexpr std::int32_t kDim = 128, kHidden = 256, kLayers = 2, kHeads = 4, kVocab = 2048,
                       kSeqLen = 64;
// Its largest decode pass (the classifier) is one the step shares among a crew's members.
static_assert(std::int64_t{kVocab} * kDim >= kRowPathSplitWork);

// A llama2.c checkpoint (legacy header, shared classifier) of random weights; "" on failure.
std::string write_random_checkpoint(const std::string& name) {
  const std::uint64_t head = kDim / kHeads, q = std::uint64_t{kDim} * kDim, kv = q,
                      h = std::uint64_t{kDim} * kHidden;
  const std::uint64_t floats = std::uint64_t{kVocab} * kDim +
                               kLayers * (2 * kDim + 2 * q + 2 * kv + 3 * h) + kDim +
                               2 * std::uint64_t{kSeqLen} * head / 2;
  const std::string path =
      (std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()) + ".bin"))
          .string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return "";
  const std::int32_t header[7] = {kDim, kHidden, kLayers, kHeads, kHeads, kVocab, kSeqLen};
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> value(-0.1f, 0.1f);
  std::vector<float> weights(floats);
  for (float& w : weights) w = value(rng);
  const bool written = std::fwrite(header, sizeof header, 1, f) == 1 &&
                       std::fwrite(weights.data(), sizeof(float), floats, f) == floats;
  return std::fclose(f) == 0 && written ? path : "";
}

// Restores the thread count a test changed, however it ends.
struct ThreadCount {
  int saved = omp_get_max_threads();
  ~ThreadCount() { set_num_threads(saved); }
};

// The logits of `steps` decode steps of `batch` sequences (one token each per step), in a
// session of `threads` threads; the threads each step ran on into `step_threads` unless null.
std::vector<float> decode(const std::shared_ptr<const Model>& model, int batch, int steps,
                          int threads, std::vector<int>* step_threads = nullptr) {
  Session session(model, {.max_batch = batch, .threads = threads});
  std::vector<int> sequences(batch), tokens(batch);
  for (int s = 0; s < batch; ++s) sequences[s] = s;
  std::vector<float> logits;
  for (int step = 0; step < steps; ++step) {
    for (int s = 0; s < batch; ++s) tokens[s] = (step * 37 + s * 101) % kVocab;
    const auto out =
        batch == 1 ? session.forward(tokens) : session.forward_batch(tokens, sequences);
    logits.insert(logits.end(), out.begin(), out.end());
    if (step_threads) step_threads->push_back(session.step_threads());
  }
  return logits;
}

// The checkpoint's path, removed however the test ends.
struct RandomCheckpoint {
  std::string path = write_random_checkpoint("engine_decode_crew_");
  ~RandomCheckpoint() { std::filesystem::remove(path); }
};

TEST(DecodeCrew, StepsOnTwoThreadsGiveTheLogitsOfOne) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: a crew of one";
  const ThreadCount restore;
  set_num_threads(1);
  const RandomCheckpoint checkpoint;
  const std::string& path = checkpoint.path;
  ASSERT_FALSE(path.empty()) << "cannot write a checkpoint to the temporary directory";
  for (DType type : {DType::f32, DType::q8_0}) {
    set_num_threads(1);  // no OpenMP region of more than one thread, here or below
    const auto model = Model::load(path, type);
    for (int batch : {1, 3}) {
      const std::vector<float> one = decode(model, batch, 40, 1);
      const std::vector<float> two = decode(model, batch, 40, 2);
      ASSERT_EQ(one.size(), two.size());
      for (std::size_t i = 0; i < one.size(); ++i)
        ASSERT_EQ(one[i], two[i]) << "logit " << i << ", batch " << batch;
    }
  }
}

// Two Sessions decoding at the same time on two threads, each of 2 threads (callers of 1): each
// runs every step on a team of its own (Session::step_threads), not one of them alone as with a
// team shared by the process, and each gives the logits it gives alone. The callers' own
// OpenMP thread count is theirs again after each step.
TEST(DecodeCrew, ConcurrentSessionsEachRunEveryStepOnTheirOwnTeam) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: a crew of one";
  const ThreadCount restore;
  set_num_threads(1);
  const RandomCheckpoint checkpoint;
  ASSERT_FALSE(checkpoint.path.empty()) << "cannot write a checkpoint to the temporary directory";
  const auto model = Model::load(checkpoint.path, DType::q8_0);
  constexpr int kSteps = 60;
  const int batches[2] = {1, 3};
  std::vector<float> alone[2];
  for (int i = 0; i < 2; ++i) alone[i] = decode(model, batches[i], kSteps, 2);

  std::vector<float> together[2];
  std::vector<int> step_threads[2];
  int callers_threads[2] = {0, 0};
  std::latch start(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&, i] {
      set_num_threads(1);
      start.arrive_and_wait();
      together[i] = decode(model, batches[i], kSteps, 2, &step_threads[i]);
      callers_threads[i] = num_threads();
    });
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(step_threads[i], std::vector<int>(kSteps, 2)) << "session " << i;
    EXPECT_EQ(callers_threads[i], 1) << "session " << i;
    ASSERT_EQ(together[i].size(), alone[i].size());
    for (std::size_t j = 0; j < alone[i].size(); ++j)
      ASSERT_EQ(together[i][j], alone[i][j]) << "session " << i << ", logit " << j;
  }
}

}  // namespace
}  // namespace engine
