// Worker threads of our own for the decode step's short parallel loops.
#pragma once

#include <type_traits>

namespace engine {

/// Calls job(thread) for thread = 0..threads-1, spread over at most usable_cpus() threads at
/// once (the caller takes thread 0), and returns when every call has. Runs every call on the
/// caller (in order) when threads <= 1, when the caller is itself inside a team job or an
/// OpenMP region, or when another thread of the process is using the team: never waits for the
/// team, never nests.
///
/// Why not an OpenMP region: a decode step is ~50 loops of 10-300 us each (one per weight
/// pass), and an OpenMP fork and join costs ~2.7 us on this project's 2-vCPU guests (an empty
/// region, libgomp, threads spinning) against ~0.4 us for a barrier on one shared cache line.
/// The team's workers spin for a while after a job (the next one comes within microseconds in
/// a decode step), then sleep until woken, so a prefill's OpenMP threads get the CPUs.
void run_on_team(int threads, void (*job)(void* context, int thread), void* context);

/// The CPUs this process may run on (its affinity mask, read once), at least 1: a team job runs
/// on at most that many threads.
int usable_cpus();

/// Whether this thread's parallel loops (for_each_in_runs, for_chunks) run on the team; else
/// they run on OpenMP, as oneDNN and the block kernels do. Off unless a TeamLoops says so.
bool loops_on_team();

/// For its lifetime, this thread's parallel loops run on the team (`on`) or on OpenMP. A
/// forward step picks one for all its loops and never mixes them: a pool that has just
/// finished a job spins for the next, and while it spins the other pool's workers wait for a
/// CPU (a stories260K prefill mixing the two ran 14x slower on 2 vCPUs).
class TeamLoops {
 public:
  explicit TeamLoops(bool on);
  ~TeamLoops();
  TeamLoops(const TeamLoops&) = delete;
  TeamLoops& operator=(const TeamLoops&) = delete;

 private:
  bool saved_;
};

template <class F>
void run_on_team(int threads, F&& job) {
  using Job = std::remove_reference_t<F>;
  run_on_team(
      threads, [](void* f, int thread) { (*static_cast<Job*>(f))(thread); },
      const_cast<void*>(static_cast<const void*>(&job)));
}

}  // namespace engine
