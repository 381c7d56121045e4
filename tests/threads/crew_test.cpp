// Crew::run: every member runs the body at once, with a context of its own, and meets the
// others at each barrier; serial parts run once; calls the team cannot serve (one thread,
// nested, concurrent) run as a crew of one instead of waiting or deadlocking.
#include "util/crew.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "util/thread_team.hpp"

namespace engine {
namespace {

TEST(Crew, ACrewOfOneIsTheCallerAlone) {
  Parallel alone = Parallel::alone();
  EXPECT_FALSE(alone.forks());
  EXPECT_EQ(alone.member(), 0);
  EXPECT_EQ(alone.members(), 1);
  alone.barrier();  // returns at once
  int calls = 0;
  alone.on_one_member([&] { ++calls; });
  EXPECT_EQ(calls, 1);
}

TEST(Crew, ForkingIsNoCrew) {
  Parallel& forking = Parallel::forking();
  EXPECT_TRUE(forking.forks());
  EXPECT_EQ(forking.member(), 0);
  EXPECT_EQ(forking.members(), 1);
  forking.barrier();  // returns at once
}

TEST(Crew, HasOneMemberPerThreadUpToTheCpus) {
  Crew crew;
  for (int threads : {1, 2, usable_cpus() + 3}) {
    const int want = std::min({threads, usable_cpus(), 64});
    std::vector<std::atomic<int>> members(want);
    std::atomic<int> wrong_size{0};
    EXPECT_EQ(crew.run(threads,
                       [&](Parallel& member) {
                         if (member.forks() || member.members() != want) wrong_size.fetch_add(1);
                         members[member.member()].fetch_add(1);
                       }),
              want);
    EXPECT_EQ(wrong_size.load(), 0) << threads;
    for (int m = 0; m < want; ++m) EXPECT_EQ(members[m].load(), 1) << m << " of " << threads;
  }
}

// Each member writes its slot, then after the barrier reads everyone's: round after round, no
// member may see a slot of a round behind (the barrier let it pass too early) or ahead.
TEST(Crew, BarrierPublishesEveryMembersWrites) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: a crew of one";
  Crew crew;
  constexpr int kRounds = 2000;
  std::vector<int> slots(2, -1);  // plain ints: the barrier must publish them
  std::atomic<int> wrong{0};
  crew.run(2, [&](Parallel& member) {
    const int me = member.member();
    for (int round = 0; round < kRounds; ++round) {
      slots[me] = round;
      member.barrier();
      if (slots[1 - me] != round) wrong.fetch_add(1);
      member.barrier();  // nobody writes the next round before both have read this one
    }
  });
  EXPECT_EQ(wrong.load(), 0);
}

// A run's items: a helper takes the back half of what is left (at least one), the owner the
// front one at a time, each item once.
TEST(Crew, HelperStealsBackHalvesOwnerTakesTheFront) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: a crew of one";
  Crew crew;
  std::vector<CrewRange> stolen;
  std::vector<int> taken;
  crew.run(2, [&](Parallel& member) {
    const unsigned loop = member.next_loop();
    if (member.member() == 1)
      for (int i = 0; i < 2; ++i) stolen.push_back(member.steal(loop, 0, 0, 10));
    member.barrier();
    if (member.member() == 0)
      for (int i; (i = member.take(loop, 0, 0, 10)) >= 0;) taken.push_back(i);
    member.barrier();
    if (member.member() == 1) stolen.push_back(member.steal(loop, 0, 0, 10));  // nothing left
  });
  ASSERT_EQ(stolen.size(), 3u);
  EXPECT_EQ(stolen[0].first, 5);
  EXPECT_EQ(stolen[0].last, 10);
  EXPECT_EQ(stolen[1].first, 2);
  EXPECT_EQ(stolen[1].last, 5);
  EXPECT_GE(stolen[2].first, stolen[2].last);
  EXPECT_EQ(taken, (std::vector<int>{0, 1}));
}

TEST(Crew, OnOneMemberRunsOnceAndEveryoneSeesIt) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: a crew of one";
  Crew crew;
  int value = 0;  // plain: the barrier after the serial part must publish it
  std::atomic<int> calls{0}, wrong{0};
  crew.run(2, [&](Parallel& member) {
    for (int round = 1; round <= 500; ++round) {
      member.on_one_member([&] {
        calls.fetch_add(1);
        value = round;
      });
      if (value != round) wrong.fetch_add(1);
      member.barrier();
    }
  });
  EXPECT_EQ(calls.load(), 500);
  EXPECT_EQ(wrong.load(), 0);
}

// The same crew or another one: a member's thread is already busy.
TEST(Crew, ACrewInsideACrewIsACrewOfOneThenTheOuterOneAgain) {
  Crew crew, other;
  std::atomic<int> inner_calls{0}, wrong{0};
  crew.run(2, [&](Parallel& outer) {
    for (Crew* inner : {&crew, &other}) {
      const int members = inner->run(2, [&](Parallel& member) {
        inner_calls.fetch_add(1);
        if (member.members() != 1 || member.member() != 0) wrong.fetch_add(1);
        member.barrier();  // a crew of one's: returns at once
      });
      if (members != 1) wrong.fetch_add(1);
    }
    outer.barrier();
  });
  EXPECT_EQ(inner_calls.load(), 2 * std::min(2, usable_cpus()));
  EXPECT_EQ(wrong.load(), 0);
}

// One caller per crew in `crews` (on a thread of its own) running crew jobs with barriers and
// shared loops; counts the jobs that ran alone. Returns items taken minus items owed: 0 when
// every item was taken once.
long run_crews(std::vector<Crew*> crews, std::atomic<int>& members_of_one) {
  constexpr int kRounds = 300, kItems = 40;
  std::atomic<long> items{0};
  std::vector<std::thread> callers;
  for (Crew* crew : crews)
    callers.emplace_back([&, crew] {
      for (int r = 0; r < kRounds; ++r) {
        const int members = crew->run(2, [&](Parallel& member) {
          const int size = member.members(), me = member.member();
          if (size == 1) {
            items.fetch_add(kItems);
            return;
          }
          const unsigned loop = member.next_loop();
          for (int run = 0; run < size; ++run)
            for (int i; (i = member.take(loop, (me + run) % size, 0, kItems / size)) >= 0;)
              items.fetch_add(1);
          member.barrier();
        });
        if (members == 1) members_of_one.fetch_add(1);
      }
    });
  for (std::thread& t : callers) t.join();
  return items.load() - long{kRounds} * kItems * static_cast<long>(crews.size());
}

// One crew, callers on several threads: whoever does not get its team runs a crew of one; all
// finish, every item taken once.
TEST(Crew, CallersOfOneCrewOnSeveralThreadsAllComplete) {
  Crew shared;
  std::atomic<int> alone{0};
  EXPECT_EQ(run_crews({&shared, &shared, &shared}, alone), 0) << "items missed or repeated";
}

// A crew each (as each Session has): every caller gets its full crew, every time.
TEST(Crew, CallersWithCrewsOfTheirOwnAllGetEveryMember) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: a crew of one";
  Crew a, b, c;
  std::atomic<int> alone{0};
  EXPECT_EQ(run_crews({&a, &b, &c}, alone), 0) << "items missed or repeated";
  EXPECT_EQ(alone.load(), 0) << "a crew ran alone";
}

}  // namespace
}  // namespace engine
