#include "util/crew.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "util/cpu_pause.hpp"

namespace engine {
namespace {

constexpr int kMaxMembers = 64;

// A barrier spins through the short gaps of a decode step, then gives its CPU up: a member
// the scheduler took off its CPU must not leave the others spinning for its time slice.
constexpr Backoff kBarrierBackoff{std::chrono::microseconds(50), std::chrono::microseconds(50)};

}  // namespace

// The state of the crew job its team is running (one at a time), each field the members write
// on a cache line of its own.
struct CrewState {
  alignas(64) std::atomic<int> arrived{0};          // members at the current barrier
  alignas(64) std::atomic<std::uint32_t> phase{0};  // barriers completed
  // Run r's cursor: the loop number in the high 24 bits, then the front and the back of the
  // items left (20 bits each). A cursor left by an earlier loop counts as untouched, so no
  // member has to reset it (which would take a barrier of its own).
  struct alignas(64) Cursor {
    std::atomic<std::uint64_t> value{0};
  } cursors[kMaxMembers];
};

Crew::Crew() : state_(std::make_unique<CrewState>()) {}
Crew::~Crew() = default;

Parallel& Parallel::forking() {
  static Parallel forking;
  return forking;
}

int Crew::members(int threads) {
  return std::clamp(std::min(threads, usable_cpus()), 1, kMaxMembers);
}

int Crew::run(int threads, void (*body)(void*, Parallel&) noexcept, void* context) {
  // At most one member per usable CPU: a member without a CPU of its own holds everyone up at
  // each barrier (uncapped, -t 4 on 2 CPUs decoded about ten times slower).
  const int size = members(threads);
  // The crew's shared state is set by member 0 inside the team job: only the caller that got
  // the team may touch it (run_at_once runs nothing otherwise).
  struct Launch {
    CrewState& crew;
    int size;
    void (*body)(void*, Parallel&) noexcept;
    void* context;
    std::atomic<bool> ready{false};
  } launch{*state_, size, body, context};
  const auto member = [](void* l, int m) {
    Launch& launch = *static_cast<Launch*>(l);
    if (m == 0) {
      launch.crew.arrived.store(0, std::memory_order_relaxed);
      for (int r = 0; r < launch.size; ++r)
        launch.crew.cursors[r].value.store(0, std::memory_order_relaxed);
      launch.ready.store(true, std::memory_order_release);
      launch.ready.notify_all();
    } else {
      wait_backing_off([&] { return launch.ready.load(std::memory_order_acquire); },
                       [&] { launch.ready.wait(false, std::memory_order_acquire); },
                       kBarrierBackoff);
    }
    Parallel context(&launch.crew, m, launch.size);
    launch.body(launch.context, context);
  };
  if (size > 1 && team_.run_at_once(size, member, &launch)) return size;
  Parallel alone = Parallel::alone();
  body(context, alone);
  return 1;
}

void Parallel::barrier() {
  if (size_ <= 1) return;
  CrewState& crew = *crew_;
  // Read the phase before arriving: the last to arrive moves it on only after everyone has.
  const std::uint32_t phase = crew.phase.load(std::memory_order_acquire);
  if (crew.arrived.fetch_add(1, std::memory_order_acq_rel) == size_ - 1) {
    crew.arrived.store(0, std::memory_order_relaxed);
    crew.phase.fetch_add(1, std::memory_order_release);
    crew.phase.notify_all();  // no system call unless a member sleeps
    return;
  }
  wait_backing_off([&] { return crew.phase.load(std::memory_order_acquire) != phase; },
                   [&] { crew.phase.wait(phase, std::memory_order_acquire); }, kBarrierBackoff);
}

namespace {

// A run's cursor as its fields: the items [front, back) are left.
struct RunCursor {
  std::uint64_t tag;
  int front, back;
};
constexpr std::uint64_t kItemMask = kMaxCrewRunItems;
constexpr std::uint64_t kTagMask = (1u << 24) - 1;

RunCursor unpack(std::uint64_t value, unsigned loop, int begin, int end) {
  if (value >> 40 != (loop & kTagMask)) return {loop & kTagMask, begin, end};  // untouched
  return {value >> 40, static_cast<int>(value >> 20 & kItemMask),
          static_cast<int>(value & kItemMask)};
}
std::uint64_t pack(const RunCursor& c) {
  return c.tag << 40 | static_cast<std::uint64_t>(c.front) << 20 |
         static_cast<std::uint64_t>(c.back);
}

// Moves the cursor of `run` by `move` (RunCursor -> the new cursor, or nothing to take) and
// returns the cursor it moved from, or an empty one.
template <class Move>
RunCursor move_cursor(CrewState& crew, unsigned loop, int run, int begin, int end, Move move) {
  std::atomic<std::uint64_t>& cursor = crew.cursors[run].value;
  std::uint64_t value = cursor.load(std::memory_order_relaxed);
  for (;;) {
    const RunCursor from = unpack(value, loop, begin, end);
    if (from.front >= from.back) return {from.tag, 0, 0};
    // Relaxed: the cursor only hands out items; the loop's closing barrier publishes the work.
    if (cursor.compare_exchange_weak(value, pack(move(from)), std::memory_order_relaxed))
      return from;
  }
}

}  // namespace

int Parallel::take(unsigned loop, int run, int begin, int end) {
  const RunCursor from = move_cursor(*crew_, loop, run, begin, end, [](RunCursor c) {
    ++c.front;
    return c;
  });
  return from.front < from.back ? from.front : -1;
}

CrewRange Parallel::steal(unsigned loop, int run, int begin, int end) {
  const auto split = [](const RunCursor& c) { return c.back - (c.back - c.front + 1) / 2; };
  const RunCursor from = move_cursor(*crew_, loop, run, begin, end, [&](RunCursor c) {
    c.back = split(c);
    return c;
  });
  return from.front < from.back ? CrewRange{split(from), from.back} : CrewRange{0, 0};
}

}  // namespace engine
