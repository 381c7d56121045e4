// run_on_team: every index once, on threads of their own, the workers' writes visible to the
// caller; nested and concurrent calls run inline rather than wait or deadlock.
#include "util/thread_team.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace engine {
namespace {

TEST(ThreadTeam, RunsEveryIndexOnceOneThreadPerCpu) {
  ASSERT_GE(usable_cpus(), 1);
  ASSERT_LE(static_cast<unsigned>(usable_cpus()),
            std::max(1u, std::thread::hardware_concurrency()));
  for (int threads : {1, 2, 4, 2, 3, 8}) {  // the team grows and shrinks
    const std::size_t members = std::min(threads, usable_cpus());
    for (int round = 0; round < 50; ++round) {
      std::vector<int> calls(threads, 0);  // plain ints: the join must publish them
      std::vector<std::thread::id> ids(threads);
      run_on_team(threads, [&](int t) {
        ++calls[t];
        ids[t] = std::this_thread::get_id();
      });
      for (int t = 0; t < threads; ++t) EXPECT_EQ(calls[t], 1) << t << " of " << threads;
      EXPECT_EQ(ids[0], std::this_thread::get_id()) << "the caller is thread 0";
      EXPECT_EQ(std::set(ids.begin(), ids.end()).size(), members) << threads << " threads";
      for (int t = 0; t < threads; ++t)  // index t on member t % members
        EXPECT_EQ(ids[t], ids[t % members]) << t << " of " << threads;
    }
  }
}

TEST(ThreadTeam, ACallInsideAJobRunsInline) {
  std::atomic<int> inner_calls{0};
  std::atomic<bool> inner_elsewhere{false};
  run_on_team(2, [&](int) {
    const std::thread::id outer = std::this_thread::get_id();
    run_on_team(3, [&](int) {
      inner_calls.fetch_add(1);
      if (std::this_thread::get_id() != outer) inner_elsewhere = true;
    });
  });
  EXPECT_EQ(inner_calls.load(), 2 * 3);
  EXPECT_FALSE(inner_elsewhere.load());
}

TEST(ThreadTeam, ACallInsideAnOpenMpRegionRunsInline) {
  std::atomic<int> calls{0};
#pragma omp parallel num_threads(2)
  run_on_team(2, [&](int) { calls.fetch_add(1); });
  int team = 1;
#pragma omp parallel num_threads(2)
#pragma omp single
  team = omp_get_num_threads();
  EXPECT_EQ(calls.load(), team * 2);
}

TEST(ThreadTeam, CallersOnSeveralThreadsAllComplete) {
  constexpr int kCallers = 3, kRounds = 2000;
  std::atomic<long> calls{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c)
    callers.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) run_on_team(2, [&](int) { calls.fetch_add(1); });
    });
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(calls.load(), long{kCallers} * kRounds * 2);
}

TEST(TeamLoops, SetsAndRestoresThisThreadsChoice) {
  EXPECT_FALSE(loops_on_team());
  {
    const TeamLoops on(true);
    EXPECT_TRUE(loops_on_team());
    {
      const TeamLoops off(false);
      EXPECT_FALSE(loops_on_team());
    }
    EXPECT_TRUE(loops_on_team());
    bool elsewhere = true;
    std::thread([&] { elsewhere = loops_on_team(); }).join();
    EXPECT_FALSE(elsewhere) << "a choice of this thread only";
  }
  EXPECT_FALSE(loops_on_team());
}

}  // namespace
}  // namespace engine
