#include "util/thread_team.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <system_error>
#include <thread>
#include <vector>

namespace engine {
namespace {

// How long a worker spins for the next job before it sleeps: longer than the gaps inside a
// decode step (attention, norms: tens of microseconds), short next to anything else.
constexpr auto kSpinTime = std::chrono::microseconds(200);

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

thread_local bool t_in_job = false;      // whether this thread is running a team job
thread_local bool t_team_loops = false;  // see TeamLoops

// One process-wide team: `workers` threads, numbered 1..workers (the caller is 0).
class Team {
 public:
  ~Team() { resize(0); }

  // Whether the caller got the team (else another thread of the process has it).
  bool acquire() { return !busy_.exchange(true, std::memory_order_acquire); }
  void release() { busy_.store(false, std::memory_order_release); }

  // With the team acquired: job(context, t) on the caller (t = 0) and the workers (1..), or
  // false when the workers cannot be started (the caller then runs the job alone). A worker's
  // job must not throw (it has nobody to hand the exception to); the caller's may.
  bool run(int threads, void (*job)(void*, int), void* context) {
    if (static_cast<int>(workers_.size()) != threads - 1) {
      try {
        resize(threads - 1);
      } catch (const std::system_error&) {  // no more threads: none of ours either
        resize(0);
        return false;
      }
    }
    job_ = job;
    context_ = context;
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    // Release: a worker that sees the new generation sees job_, context_ and pending_.
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    const auto join = [&] {
      while (pending_.load(std::memory_order_acquire) != 0) pause();
    };
    try {
      job(context, 0);
    } catch (...) {
      join();  // the workers' calls still use the caller's context
      throw;
    }
    join();
    return true;
  }

 private:
  void resize(std::size_t workers) {
    if (!workers_.empty()) {
      stop_.store(true, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
      generation_.notify_all();
      for (std::thread& t : workers_) t.join();
      workers_.clear();
      stop_.store(false, std::memory_order_relaxed);
    }
    for (std::size_t i = 1; i <= workers; ++i)
      workers_.emplace_back(
          [this, i, seen = generation_.load()] { work(static_cast<int>(i), seen); });
  }

  void work(int thread, std::uint32_t seen) {
    t_in_job = true;  // a job's own run_on_team runs inline
    for (;;) {
      std::uint32_t now = generation_.load(std::memory_order_acquire);
      const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
      for (int spins = 0; now == seen; now = generation_.load(std::memory_order_acquire)) {
        pause();
        if (++spins % 64 == 0 && std::chrono::steady_clock::now() > deadline) {
          generation_.wait(seen, std::memory_order_acquire);
          spins = 0;
        }
      }
      seen = now;
      if (stop_.load(std::memory_order_relaxed)) return;
      job_(context_, thread);
      pending_.fetch_sub(1, std::memory_order_release);  // publishes what the job wrote
    }
  }

  std::vector<std::thread> workers_;
  void (*job_)(void*, int) = nullptr;
  void* context_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<bool> busy_{false};
  // Each on a cache line of its own: the workers spin on generation_, the caller on pending_.
  alignas(64) std::atomic<std::uint32_t> generation_{0};
  alignas(64) std::atomic<int> pending_{0};
};

Team& team() {
  static Team t;
  return t;
}

}  // namespace

void run_on_team(int threads, void (*job)(void*, int), void* context) {
  Team& t = team();
  if (threads <= 1 || t_in_job || omp_in_parallel() || !t.acquire()) {
    for (int i = 0; i < std::max(threads, 1); ++i) job(context, i);
    return;
  }
  // Released however the job ends (the caller's part may throw).
  struct Held {
    Team& team;
    ~Held() {
      t_in_job = false;
      team.release();
    }
  } held{t};
  t_in_job = true;
  if (!t.run(threads, job, context))
    for (int i = 0; i < threads; ++i) job(context, i);
}

bool loops_on_team() {
  return t_team_loops;
}

TeamLoops::TeamLoops(bool on) : saved_(t_team_loops) {
  t_team_loops = on;
}

TeamLoops::~TeamLoops() {
  t_team_loops = saved_;
}

}  // namespace engine
