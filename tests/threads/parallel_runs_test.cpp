// for_each_in_runs: every item exactly once, whatever the thread count, and a thread that is
// held back gets its run finished by the others; on OpenMP and in a crew alike.
#include "ops/parallel_runs.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "util/crew.hpp"
#include "util/thread_team.hpp"

namespace engine {
namespace {

// Restores the OpenMP thread count a test changed.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(omp_get_max_threads()), dynamic_(omp_get_dynamic()) {
    omp_set_dynamic(0);  // teams of exactly n (OMP_DYNAMIC could shrink them on a busy host)
    omp_set_num_threads(n);
  }
  ~ThreadCount() {
    omp_set_num_threads(saved_);
    omp_set_dynamic(dynamic_);
  }

 private:
  int saved_, dynamic_;
};

int team_size() {
  int team = 1;
#pragma omp parallel
#pragma omp single
  team = omp_get_num_threads();
  return team;
}

// Both ways of running the loops: forking OpenMP teams from the caller, or with every member of
// a crew of omp_get_max_threads() calling them (the decode step's way); loops(parallel) gets the
// context it passes them.
class ForEachInRuns : public testing::TestWithParam<bool> {
 protected:
  template <class F>
  void run(F&& loops) {
    if (GetParam())
      crew_.run(omp_get_max_threads(), loops);
    else
      loops(Parallel::forking());
  }

 private:
  Crew crew_;
};

INSTANTIATE_TEST_SUITE_P(Threads, ForEachInRuns, testing::Values(false, true),
                         [](const auto& info) { return info.param ? "crew" : "openmp"; });

TEST_P(ForEachInRuns, CallsEveryItemOnce) {
  for (int threads : {1, 2, 3, 8}) {
    const ThreadCount count(threads);
    for (int n : {0, 1, 2, 3, 7, 64, 1000}) {
      for (bool fork : {false, true}) {
        const auto calls = std::make_unique<std::atomic<int>[]>(n + 1);  // + 1: no call past n
        run([&](Parallel& parallel) {
          for_each_in_runs(parallel, n, fork, [&](int i) { calls[i].fetch_add(1); });
        });
        for (int i = 0; i < n; ++i)
          EXPECT_EQ(calls[i].load(), 1) << "item " << i << " of " << n << ", " << threads;
        EXPECT_EQ(calls[n].load(), 0) << "past the end, " << threads;
      }
    }
  }
}

TEST_P(ForEachInRuns, OthersFinishTheRunOfAThreadHeldBack) {
  const ThreadCount count(2);
  if (!GetParam() && team_size() < 2) GTEST_SKIP() << "no second thread (OMP_THREAD_LIMIT?)";
  if (GetParam() && usable_cpus() < 2) GTEST_SKIP() << "one CPU: a crew of one";
  constexpr int n = 100;                    // run 0 is [0, 50), run 1 [50, 100)
  std::atomic<int> run0_items[2] = {0, 0};  // items 1..49 each thread took
  std::atomic<bool> waited_out{false};
  std::mutex mutex;
  std::map<std::thread::id, int> numbers;  // each thread's number: 0, 1 in order of arrival
  const auto number = [&] {
    const std::lock_guard lock(mutex);
    return numbers.try_emplace(std::this_thread::get_id(), static_cast<int>(numbers.size()))
        .first->second;
  };
  run([&](Parallel& parallel) {
    for_each_in_runs(parallel, n, true, [&](int i) {
      const int thread = number();
      if (i == 0) {
        // Whoever takes item 0 is held there until the other thread has taken items of run 0
        // (or 10 s, which fails the test: nobody helps).
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (run0_items[1 - thread].load() == 0) {
          if (std::chrono::steady_clock::now() > deadline) {
            waited_out = true;
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      } else if (i < n / 2) {
        run0_items[thread].fetch_add(1);
      }
    });
  });
  EXPECT_FALSE(waited_out.load());
  EXPECT_EQ(numbers.size(), 2u);
  EXPECT_EQ(run0_items[0].load() + run0_items[1].load(), n / 2 - 1);
}

// Loop after loop in one crew job (a decode step's ~60): each loop's items once, every member
// past the loop's barrier seeing all of its items done.
TEST_P(ForEachInRuns, ConsecutiveLoopsEachCallEveryItemOnce) {
  const ThreadCount count(2);
  constexpr int kLoops = 200;
  std::vector<std::atomic<int>> calls(kLoops * 64);
  std::atomic<int> incomplete{0};
  run([&](Parallel& parallel) {
    for (int loop = 0; loop < kLoops; ++loop) {
      const int n = 1 + loop % 64;
      for_each_in_runs(parallel, n, true, [&](int i) { calls[loop * 64 + i].fetch_add(1); });
      for (int i = 0; i < n; ++i)  // after the loop, on every thread
        if (calls[loop * 64 + i].load() != 1) incomplete.fetch_add(1);
    }
  });
  for (int loop = 0; loop < kLoops; ++loop)
    for (int i = 0; i < 64; ++i)
      ASSERT_EQ(calls[loop * 64 + i].load(), i < 1 + loop % 64 ? 1 : 0) << loop << " " << i;
  EXPECT_EQ(incomplete.load(), 0);
}

// A crew of one is the caller alone: every item on the calling thread, in order, whatever the
// OpenMP thread count says.
TEST(ForEachInRunsAlone, RunsEveryItemOnTheCallerInOrder) {
  const ThreadCount count(2);
  Parallel alone = Parallel::alone();
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<int> items;  // plain: only the caller may write it
  bool elsewhere = false;
  for_each_in_runs(alone, 100, true, [&](int i) {
    if (std::this_thread::get_id() != caller) elsewhere = true;
    items.push_back(i);
  });
  std::vector<int> in_order(100);
  std::iota(in_order.begin(), in_order.end(), 0);
  EXPECT_EQ(items, in_order);
  EXPECT_FALSE(elsewhere);
}

// Two crews (two sessions' teams) on two callers at once: each runs its loops on its own two
// members, every item of each loop once; neither crew's loops take the other's items.
TEST(ForEachInRunsCrews, TwoRunTheirLoopsSideBySide) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: crews of one";
  constexpr int kLoops = 100, kItems = 50;
  Crew crews[2];
  std::vector<std::atomic<int>> calls(2 * kLoops * kItems);
  std::atomic<int> members[2] = {0, 0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 2; ++c)
    callers.emplace_back([&, c] {
      members[c] = crews[c].run(2, [&](Parallel& parallel) {
        for (int loop = 0; loop < kLoops; ++loop)
          for_each_in_runs(parallel, kItems, false,
                           [&](int i) { calls[(c * kLoops + loop) * kItems + i].fetch_add(1); });
      });
    });
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(members[0].load(), 2);
  EXPECT_EQ(members[1].load(), 2);
  for (std::size_t i = 0; i < calls.size(); ++i) ASSERT_EQ(calls[i].load(), 1) << i;
}

}  // namespace
}  // namespace engine
