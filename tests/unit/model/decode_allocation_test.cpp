// A decode step allocates nothing: the KV cache, the scratch buffers and the mask are sized
// once, so generation cost does not include the allocator. Counted with a replaced global
// operator new that counts on every thread while the test's flag is up, so the threads that
// share a step (the crew, util/crew.hpp) are counted too, with one thread and with two.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#include "engine/model/session.hpp"
#include "engine/runtime.hpp"
#include "ops/matmul.hpp"
#include "test_paths.hpp"
#include "util/thread_team.hpp"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

void count_allocation() {
  if (g_counting.load(std::memory_order_relaxed))
    g_allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

// GCC cannot see that these replace the global pair, and warns that free() meets new.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  count_allocation();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow form too (std::stable_sort's buffer), so that every block our delete frees came
// from malloc.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  count_allocation();
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace engine {
namespace {

// Allocations made on any thread while `body` runs.
template <typename Body>
long allocations_during(Body&& body) {
  g_allocations = 0;
  g_counting = true;
  body();
  g_counting = false;
  return g_allocations.load();
}

// Allocations in `steps` single-token steps of every sequence of `session`, after a first step
// that sizes the scratch buffers (and starts the crew's threads).
long allocations_in_decode_steps(Session& session, int steps) {
  std::vector<int> sequences(session.max_batch()), tokens(session.max_batch(), 1);
  for (int i = 0; i < session.max_batch(); ++i) sequences[i] = i;
  session.forward_batch(tokens, sequences);
  return allocations_during([&] {
    for (int step = 0; step < steps; ++step) {
      for (int& t : tokens) t = 3 + (step * 7 + t) % 500;
      session.forward_batch(tokens, sequences);
    }
  });
}

// Restores the thread count a test changed, however it ends.
struct ThreadCount {
  int saved = num_threads();
  ~ThreadCount() { set_num_threads(saved); }
};

// The counter sees another thread's allocation, not only the caller's.
TEST(DecodeAllocation, CounterSeesEveryThread) {
  std::atomic<bool> go{false};
  std::unique_ptr<int> kept;
  std::thread other([&] {
    while (!go) std::this_thread::yield();
    kept = std::make_unique<int>(7);
  });
  EXPECT_EQ(allocations_during([&] {
              go = true;
              other.join();
            }),
            1);
}

TEST(DecodeAllocation, SingleTokenStepsAllocateNothing) {
  const ThreadCount restore;
  set_num_threads(1);
  for (const char* file : {"stories260K.bin", "gpt2-tiny-random.gguf"}) {
    const auto model = Model::load(test::require_model(file));
    for (int batch : {1, 3}) {
      Session session(model, batch);
      EXPECT_EQ(allocations_in_decode_steps(session, 100), 0) << file << " batch " << batch;
    }
  }
}

TEST(DecodeAllocation, StepsSharedByTwoThreadsAllocateNothing) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: no crew of two";
  const ThreadCount restore;
  set_num_threads(2);
  // Models whose classifier pass is large enough for a step to share it between two threads.
  for (const char* file : {"gpt2-tiny-random.gguf", "quant/storyvocab256-f32.gguf"}) {
    const auto model = Model::load(test::require_model(file));
    const ModelConfig& c = model->config();
    ASSERT_GE(std::int64_t{c.vocab_size} * c.dim, kRowPathSplitWork) << file;
    for (int batch : {1, 3}) {
      Session session(model, batch);
      EXPECT_EQ(allocations_in_decode_steps(session, 100), 0) << file << " batch " << batch;
    }
  }
}

TEST(DecodeAllocation, SlidingWindowStepsPastTheContextAllocateNothing) {
  // A context of 64: the ring wraps, the mask rows wrap, and RoPE is computed past the table.
  const auto model = Model::load(test::require_model("stories260K.bin"), DType::f32, 64);
  for (int batch : {1, 3}) {
    Session session(model, {.max_batch = batch, .window = 16});
    EXPECT_EQ(allocations_in_decode_steps(session, 200), 0) << "batch " << batch;
    EXPECT_EQ(session.position(), 201);
  }
}

}  // namespace
}  // namespace engine
