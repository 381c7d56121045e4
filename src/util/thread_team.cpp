#include "util/thread_team.hpp"

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <system_error>
#include <thread>
#include <vector>

#include "util/cpu_pause.hpp"

namespace engine {
namespace {

// A worker waits for the next job spinning longer than the gaps inside a decode step
// (attention, norms: tens of microseconds), then sleeps so a prefill's OpenMP threads get the
// CPUs; the caller waits for the workers to finish like a crew barrier (util/crew.cpp).
constexpr Backoff kNextJobBackoff{std::chrono::microseconds(200), std::chrono::microseconds(50)};
constexpr Backoff kJoinBackoff{std::chrono::microseconds(50), std::chrono::microseconds(50)};

thread_local bool t_in_job = false;  // whether this thread is running a team job

}  // namespace

// The team's `workers` threads, numbered 1..workers (the caller is 0).
class ThreadTeam::Workers {
 public:
  ~Workers() { resize(0); }

  int count() const { return static_cast<int>(workers_.size()); }

  // Whether the caller got the team (else another thread of the process has it).
  bool acquire() { return !busy_.exchange(true, std::memory_order_acquire); }
  void release() { busy_.store(false, std::memory_order_release); }

  // With the team acquired: job(context, t) for t < threads (at most usable_cpus()), the
  // caller taking 0 and worker t the others. False when the workers cannot be started (nothing
  // ran). A worker's job must not throw (it has nobody to hand the exception to); the caller's
  // may.
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
    // Release: a worker that sees the new generation sees the job's fields and pending_.
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    const auto join = [&] {
      wait_backing_off([&] { return pending_.load(std::memory_order_acquire) == 0; },
                       [&] {
                         const int left = pending_.load(std::memory_order_acquire);
                         if (left != 0) pending_.wait(left, std::memory_order_acquire);
                       },
                       kJoinBackoff);
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

  void work(int member, std::uint32_t seen) {
    t_in_job = true;  // a job cannot start another
    for (;;) {
      const auto next = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      wait_backing_off(
          next, [&] { generation_.wait(seen, std::memory_order_acquire); }, kNextJobBackoff);
      seen = generation_.load(std::memory_order_acquire);
      if (stop_.load(std::memory_order_relaxed)) return;
      job_(context_, member);
      // Release: publishes what the job wrote. The last one wakes the caller if it sleeps.
      if (pending_.fetch_sub(1, std::memory_order_release) == 1) pending_.notify_one();
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

ThreadTeam::ThreadTeam() : workers_(std::make_unique<Workers>()) {}
ThreadTeam::~ThreadTeam() = default;

int ThreadTeam::workers() const {
  return workers_->count();
}

bool ThreadTeam::run_at_once(int threads, void (*job)(void*, int), void* context) {
  Workers& t = *workers_;
  if (threads <= 1 || threads > usable_cpus() || t_in_job || omp_in_parallel() || !t.acquire())
    return false;
  // Released however the job ends (the caller's part may throw).
  struct Held {
    Workers& team;
    ~Held() {
      t_in_job = false;
      team.release();
    }
  } held{t};
  t_in_job = true;
  return t.run(threads, job, context);
}

int usable_cpus() {
  static const int cpus = [] {
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 ? std::max(1, CPU_COUNT(&set)) : 1;
  }();
  return cpus;
}

}  // namespace engine
