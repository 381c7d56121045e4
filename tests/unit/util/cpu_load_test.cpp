// The default thread count leaves CPUs that other processes keep busy to them: the per-CPU
// counters of /proc/stat, read twice, say which CPUs were busy in between.
#include "util/cpu_load.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "util/thread_team.hpp"

namespace engine {
namespace {

// Two readings 50 ticks apart: cpu0 spent 48 of them working (user, system, steal), cpu1 45 of
// them idle or waiting for I/O, cpu2 exactly half.
const char* kBefore =
    "cpu  300 0 60 900 30 0 0 0 0 0\n"
    "cpu0 100 0 20 300 10 0 0 0 0 0\n"
    "cpu1 100 0 20 300 10 0 0 0 0 0\n"
    "cpu2 100 0 20 300 10 0 0 0 0 0\n"
    "intr 123 0 0\n"
    "ctxt 5\n";
const char* kAfter =
    "cpu  400 0 80 960 35 0 0 0 0 0\n"
    "cpu0 140 0 25 302 10 0 0 3 0 0\n"
    "cpu1 103 0 22 340 15 0 0 0 0 0\n"
    "cpu2 120 0 25 320 15 0 0 0 0 0\n"
    "intr 456 0 0\n"
    "ctxt 9\n";

TEST(CpuLoad, ParsesPerCpuLinesOnly) {
  const std::vector<CpuTimes> times = parse_cpu_times(kBefore);
  ASSERT_EQ(times.size(), 3u);
  EXPECT_EQ(times[1].cpu, 1);
  EXPECT_EQ(times[1].total, 430u);
  EXPECT_EQ(times[1].busy, 120u);  // all but idle (300) and iowait (10)
}

TEST(CpuLoad, CountsUsableCpusBusyMoreThanHalfTheTime) {
  const std::vector<CpuTimes> before = parse_cpu_times(kBefore);
  const std::vector<CpuTimes> after = parse_cpu_times(kAfter);
  EXPECT_EQ(busy_cpus(before, after, {0, 1, 2}), 1);  // cpu0 (48/50); cpu2 (25/50) is not over
  EXPECT_EQ(busy_cpus(before, after, {1, 2}), 0);     // cpu0 is not ours
  EXPECT_EQ(busy_cpus(before, after, {0, 7}), 1);     // a CPU missing from the readings: not busy
}

TEST(CpuLoad, BadTextReadsAsNoCpus) {
  EXPECT_TRUE(parse_cpu_times("").empty());
  EXPECT_TRUE(parse_cpu_times("cpu0 x y z\ncpuX 1 2 3 4\n").empty());
  EXPECT_EQ(busy_cpus({}, parse_cpu_times(kAfter), {0, 1}), 0);
}

TEST(CpuLoad, FreeCpusIsBetweenOneAndTheUsableCpus) {
  const int free = free_cpus(std::chrono::milliseconds(20));
  EXPECT_GE(free, 1);
  EXPECT_LE(free, usable_cpus());
}

// A child process spinning on one of our CPUs keeps it from ever being idle: that CPU is not free.
TEST(CpuLoad, ACpuHeldByAnotherProcessIsNotFree) {
  if (usable_cpus() < 2) GTEST_SKIP() << "one CPU: it is always the one left";
  cpu_set_t ours;
  ASSERT_EQ(sched_getaffinity(0, sizeof ours, &ours), 0);
  int first = 0;
  while (!CPU_ISSET(first, &ours)) ++first;
  const pid_t spinner = ::fork();
  ASSERT_GE(spinner, 0);
  if (spinner == 0) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    sched_setaffinity(0, sizeof one, &one);
    std::atomic<unsigned long> spins{0};
    for (;;) spins.fetch_add(1, std::memory_order_relaxed);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the spinner is running
  const int free = free_cpus(std::chrono::milliseconds(60));
  ::kill(spinner, SIGKILL);
  ::waitpid(spinner, nullptr, 0);
  EXPECT_LE(free, usable_cpus() - 1);
}

}  // namespace
}  // namespace engine
