// run_on_team_at_once: every index once, each on a thread of its own, the workers' writes
// visible to the caller; calls it cannot serve (too many threads, nested, inside OpenMP, the
// team busy) run nothing and say so rather than wait or deadlock.
#include "util/thread_team.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <type_traits>
#include <vector>

namespace engine {
namespace {

template <class F>
bool run_at_once(int threads, F&& job) {
  return run_on_team_at_once(
      threads, [](void* f, int t) { (*static_cast<std::remove_reference_t<F>*>(f))(t); }, &job);
}

TEST(ThreadTeam, RunsEveryIndexOnceEachOnAThreadOfItsOwn) {
  ASSERT_GE(usable_cpus(), 1);
  ASSERT_LE(static_cast<unsigned>(usable_cpus()),
            std::max(1u, std::thread::hardware_concurrency()));
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: the team runs nothing";
  for (int threads : {2, usable_cpus(), 2}) {  // the team grows and shrinks
    for (int round = 0; round < 50; ++round) {
      std::vector<int> calls(threads, 0);  // plain ints: the join must publish them
      std::vector<std::thread::id> ids(threads);
      ASSERT_TRUE(run_at_once(threads, [&](int t) {
        ++calls[t];
        ids[t] = std::this_thread::get_id();
      }));
      for (int t = 0; t < threads; ++t) EXPECT_EQ(calls[t], 1) << t << " of " << threads;
      EXPECT_EQ(ids[0], std::this_thread::get_id()) << "the caller is thread 0";
      EXPECT_EQ(std::set(ids.begin(), ids.end()).size(), static_cast<std::size_t>(threads));
    }
  }
}

TEST(ThreadTeam, RefusesMoreThreadsThanCpusOrFewerThanTwo) {
  int calls = 0;
  EXPECT_FALSE(run_at_once(usable_cpus() + 1, [&](int) { ++calls; }));
  EXPECT_FALSE(run_at_once(1, [&](int) { ++calls; }));
  EXPECT_FALSE(run_at_once(0, [&](int) { ++calls; }));
  EXPECT_EQ(calls, 0);
}

TEST(ThreadTeam, RefusesACallInsideAJob) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: the team runs nothing";
  std::atomic<int> inner_calls{0}, refused{0};
  ASSERT_TRUE(run_at_once(2, [&](int) {
    if (!run_at_once(2, [&](int) { inner_calls.fetch_add(1); })) refused.fetch_add(1);
  }));
  EXPECT_EQ(inner_calls.load(), 0);
  EXPECT_EQ(refused.load(), 2);
}

TEST(ThreadTeam, RefusesACallInsideAnOpenMpRegion) {
  int team = 1;
#pragma omp parallel num_threads(2)
#pragma omp single
  team = omp_get_num_threads();
  if (team < 2) GTEST_SKIP() << "no OpenMP region of 2 threads (OMP_THREAD_LIMIT?)";
  std::atomic<int> calls{0}, refused{0};
#pragma omp parallel num_threads(2)
  if (!run_at_once(2, [&](int) { calls.fetch_add(1); })) refused.fetch_add(1);
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(refused.load(), team);
}

TEST(ThreadTeam, CallersOnSeveralThreadsEachRunAllOrNothing) {
  constexpr int kCallers = 3, kRounds = 2000;
  std::atomic<long> calls{0}, served{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c)
    callers.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r)
        if (run_at_once(2, [&](int) { calls.fetch_add(1); })) served.fetch_add(1);
    });
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(calls.load(), served.load() * 2);
  if (usable_cpus() >= 2) {
    EXPECT_GT(served.load(), 0);
  }
}

}  // namespace
}  // namespace engine
