// Waiting on another thread's write: the spin-wait hint, and a wait that backs off from
// spinning to yielding to sleeping.
#pragma once

#include <sched.h>

#include <chrono>

namespace engine {

/// Tells the CPU this thread is spinning (x86 `pause`: frees the core's resources for its
/// sibling and saves power); nothing elsewhere.
inline void cpu_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/// How long wait_backing_off spins, then yields, before it sleeps.
struct Backoff {
  std::chrono::microseconds spin, yield;
};

/// Returns once done() holds. Spins first (the other thread is usually microseconds away),
/// then yields its CPU, then calls sleep() (which must return when what done() reads has
/// changed, e.g. an atomic's wait) until done(). A thread waiting for one that the scheduler
/// has preempted (a CPU taken by another process) thus gives its CPU up instead of spinning
/// through its whole time slice while the one it waits for cannot run.
template <class Done, class Sleep>
void wait_backing_off(Done done, Sleep sleep, Backoff backoff) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  for (int spins = 1; !done(); ++spins) {
    cpu_pause();
    if (spins % 64 == 0 && Clock::now() - start > backoff.spin) break;
  }
  while (!done()) {
    if (Clock::now() - start > backoff.spin + backoff.yield) {
      while (!done()) sleep();
      return;
    }
    sched_yield();
  }
}

}  // namespace engine
