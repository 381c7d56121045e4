// A decode step allocates nothing: the KV cache, the scratch buffers and the mask are sized
// once, so generation cost does not include the allocator. Counted with a replaced global
// operator new that counts only on the thread that asks.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "engine/model/session.hpp"
#include "test_paths.hpp"

namespace {
thread_local bool t_counting = false;
std::atomic<long> g_allocations{0};
}  // namespace

// GCC cannot see that these replace the global pair, and warns that free() meets new.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  if (t_counting) ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow form too (std::stable_sort's buffer), so that every block our delete frees came
// from malloc.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (t_counting) ++g_allocations;
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

// Allocations in `steps` single-token steps of every sequence of `session`, after a first step
// that sizes the scratch buffers.
long allocations_in_decode_steps(Session& session, int steps) {
  std::vector<int> sequences(session.max_batch()), tokens(session.max_batch(), 1);
  for (int i = 0; i < session.max_batch(); ++i) sequences[i] = i;
  session.forward_batch(tokens, sequences);
  g_allocations = 0;
  t_counting = true;
  for (int step = 0; step < steps; ++step) {
    for (int& t : tokens) t = 3 + (step * 7 + t) % 500;
    session.forward_batch(tokens, sequences);
  }
  t_counting = false;
  return g_allocations.load();
}

TEST(DecodeAllocation, SingleTokenStepsAllocateNothing) {
  for (const char* file : {"stories260K.bin", "gpt2-tiny-random.gguf"}) {
    const auto model = Model::load(test::require_model(file));
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
