// Worker threads of our own, for the decode step (run as a crew: util/crew.hpp).
#pragma once

#include <memory>

namespace engine {

/// A team of worker threads with one owner (a Session's crew owns one: two sessions never share
/// workers, so each runs its steps on as many threads as it asks for, whatever the others do).
/// The workers start with the first job that needs them and end with the team.
class ThreadTeam {
 public:
  ThreadTeam();
  ~ThreadTeam();
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  /// job(context, t) for t = 0..threads-1, each on a thread of its own at the same time (the
  /// caller takes 0, the team's workers the others), returning when every call has: when the
  /// team can do that, i.e. 2 <= threads <= usable_cpus(), the caller is not itself in a team
  /// job (of any team) or an OpenMP region, and no other thread is using this team. Returns
  /// whether it did; false: nothing ran. Never waits for the team, never nests. (Why threads of
  /// our own: util/crew.hpp.) The workers spin for a while after a job (the next one comes
  /// within microseconds in a decode), then sleep until woken, so a prefill's OpenMP threads get
  /// the CPUs.
  bool run_at_once(int threads, void (*job)(void* context, int thread), void* context);

  /// Worker threads it has running (0 before its first job of two threads or more).
  int workers() const;

 private:
  class Workers;
  std::unique_ptr<Workers> workers_;
};

/// The CPUs this process may run on (its affinity mask, read once), at least 1: a team job runs
/// on at most that many threads.
int usable_cpus();

}  // namespace engine
