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
#include <thread>

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

// Both ways of running the loops: on OpenMP from the caller, or with every member of a crew of
// omp_get_max_threads() calling them (the decode step's way).
class ForEachInRuns : public testing::TestWithParam<bool> {
 protected:
  template <class F>
  void run(F&& loops) {
    if (GetParam())
      crew_.run(omp_get_max_threads(), loops);
    else
      loops();
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
      for (bool parallel : {false, true}) {
        const auto calls = std::make_unique<std::atomic<int>[]>(n + 1);  // + 1: no call past n
        run([&] { for_each_in_runs(n, parallel, [&](int i) { calls[i].fetch_add(1); }); });
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
  run([&] {
    for_each_in_runs(n, true, [&](int i) {
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
  run([&] {
    for (int loop = 0; loop < kLoops; ++loop) {
      const int n = 1 + loop % 64;
      for_each_in_runs(n, true, [&](int i) { calls[loop * 64 + i].fetch_add(1); });
      for (int i = 0; i < n; ++i)  // after the loop, on every thread
        if (calls[loop * 64 + i].load() != 1) incomplete.fetch_add(1);
    }
  });
  for (int loop = 0; loop < kLoops; ++loop)
    for (int i = 0; i < 64; ++i)
      ASSERT_EQ(calls[loop * 64 + i].load(), i < 1 + loop % 64 ? 1 : 0) << loop << " " << i;
  EXPECT_EQ(incomplete.load(), 0);
}

}  // namespace
}  // namespace engine
