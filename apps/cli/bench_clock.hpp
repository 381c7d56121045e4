// The clocks engine bench times with: the wall, or the CPU time the process used.
#pragma once

#include <time.h>

namespace engine {

enum class BenchClock { wall, cpu };

/// Seconds on `clock` from an arbitrary origin: steady wall time, or the CPU time of all the
/// process's threads. On cores other processes share, CPU time is what a run would take alone,
/// as long as its threads never wait for each other (one thread): a memory-bound step stalls on
/// the CPU, so its stalls count, while the time other processes held the core does not.
inline double clock_seconds(BenchClock clock) {
  timespec t{};
  clock_gettime(clock == BenchClock::cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace engine
