// ThreadTeam::run_at_once: every index once, each on a thread of its own, the workers' writes
// visible to the caller; calls it cannot serve (too many threads, nested, inside OpenMP, the
// team busy) run nothing and say so rather than wait or deadlock.
#include "util/thread_team.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <set>
#include <thread>
#include <type_traits>
#include <vector>

namespace engine {
namespace {

template <class F>
bool run_at_once(ThreadTeam& team, int threads, F&& job) {
  return team.run_at_once(
      threads, [](void* f, int t) { (*static_cast<std::remove_reference_t<F>*>(f))(t); }, &job);
}

TEST(ThreadTeam, RunsEveryIndexOnceEachOnAThreadOfItsOwn) {
  ASSERT_GE(usable_cpus(), 1);
  ASSERT_LE(static_cast<unsigned>(usable_cpus()),
            std::max(1u, std::thread::hardware_concurrency()));
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: the team runs nothing";
  ThreadTeam team;
  EXPECT_EQ(team.workers(), 0) << "no worker before a job needs one";
  for (int threads : {2, usable_cpus(), 2}) {  // the team grows and shrinks
    for (int round = 0; round < 50; ++round) {
      std::vector<int> calls(threads, 0);  // plain ints: the join must publish them
      std::vector<std::thread::id> ids(threads);
      ASSERT_TRUE(run_at_once(team, threads, [&](int t) {
        ++calls[t];
        ids[t] = std::this_thread::get_id();
      }));
      for (int t = 0; t < threads; ++t) EXPECT_EQ(calls[t], 1) << t << " of " << threads;
      EXPECT_EQ(ids[0], std::this_thread::get_id()) << "the caller is thread 0";
      EXPECT_EQ(std::set(ids.begin(), ids.end()).size(), static_cast<std::size_t>(threads));
      EXPECT_EQ(team.workers(), threads - 1);
    }
  }
}

TEST(ThreadTeam, RefusesMoreThreadsThanCpusOrFewerThanTwo) {
  ThreadTeam team;
  int calls = 0;
  EXPECT_FALSE(run_at_once(team, usable_cpus() + 1, [&](int) { ++calls; }));
  EXPECT_FALSE(run_at_once(team, 1, [&](int) { ++calls; }));
  EXPECT_FALSE(run_at_once(team, 0, [&](int) { ++calls; }));
  EXPECT_EQ(calls, 0);
}

// Of the same team or of another: a job's threads are already all busy.
TEST(ThreadTeam, RefusesACallInsideAJob) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: the team runs nothing";
  ThreadTeam team, other;
  std::atomic<int> inner_calls{0}, refused{0};
  ASSERT_TRUE(run_at_once(team, 2, [&](int) {
    for (ThreadTeam* inner : {&team, &other})
      if (!run_at_once(*inner, 2, [&](int) { inner_calls.fetch_add(1); })) refused.fetch_add(1);
  }));
  EXPECT_EQ(inner_calls.load(), 0);
  EXPECT_EQ(refused.load(), 4);
}

TEST(ThreadTeam, RefusesACallInsideAnOpenMpRegion) {
  int team = 1;
#pragma omp parallel num_threads(2)
#pragma omp single
  team = omp_get_num_threads();
  if (team < 2) GTEST_SKIP() << "no OpenMP region of 2 threads (OMP_THREAD_LIMIT?)";
  ThreadTeam shared;
  std::atomic<int> calls{0}, refused{0};
#pragma omp parallel num_threads(2)
  if (!run_at_once(shared, 2, [&](int) { calls.fetch_add(1); })) refused.fetch_add(1);
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(refused.load(), team);
}

// One team, callers on several threads: whoever finds it busy runs nothing.
TEST(ThreadTeam, CallersOfOneTeamOnSeveralThreadsEachRunAllOrNothing) {
  constexpr int kCallers = 3, kRounds = 2000;
  ThreadTeam shared;
  std::atomic<long> calls{0}, served{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c)
    callers.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r)
        if (run_at_once(shared, 2, [&](int) { calls.fetch_add(1); })) served.fetch_add(1);
    });
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(calls.load(), served.load() * 2);
  if (usable_cpus() >= 2) {
    EXPECT_GT(served.load(), 0);
  }
}

// A team each: every call of every caller is served, on threads of its own team.
TEST(ThreadTeam, CallersWithTeamsOfTheirOwnAreAllServed) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: the team runs nothing";
  constexpr int kCallers = 3, kRounds = 500;
  std::atomic<long> refused{0};
  std::vector<std::set<std::thread::id>> workers(kCallers);  // each caller's workers' ids
  // Every team lives until all callers are done: a worker that had exited could pass its
  // thread id on to another team's worker.
  std::latch done(kCallers);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c)
    callers.emplace_back([&, c] {
      ThreadTeam team;
      for (int r = 0; r < kRounds; ++r) {
        std::thread::id worker;
        if (!run_at_once(team, 2, [&](int t) {
              if (t == 1) worker = std::this_thread::get_id();
            }))
          refused.fetch_add(1);
        else
          workers[c].insert(worker);
      }
      done.arrive_and_wait();
    });
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(refused.load(), 0);
  for (int c = 0; c < kCallers; ++c) {
    EXPECT_EQ(workers[c].size(), 1u) << "caller " << c << ": one worker, job after job";
    for (int d = 0; d < c; ++d) EXPECT_NE(workers[c], workers[d]) << c << " and " << d;
  }
}

}  // namespace
}  // namespace engine
