// A crew: the thread team running one job together, every member executing the same code
// (SPMD) and meeting at barriers. A decode step runs as one crew job: its ~70 parallel loops
// and ~40 serial parts then cost a barrier each instead of a fork and a join, and the workers
// are already running when a loop starts (figures: docs/performance.md).
//
// Parallel is how a thread runs the collective loops of a pass (ops/parallel_*.hpp, the
// session's per-row steps, matmul, attention): as a member of a crew, or forking an OpenMP
// team per loop. Every such call takes it as an argument (directly or in a StepContext), so a
// reader sees at the call site which calls are collective: in a crew, every member must make
// the same calls in the same order, and each ends at a barrier.
#pragma once

#include <memory>
#include <type_traits>

#include "util/thread_team.hpp"

namespace engine {

struct CrewState;

/// The largest item number a cursor holds (Parallel::take, Parallel::steal).
constexpr int kMaxCrewRunItems = (1 << 20) - 1;

/// Items [first, last) a member took from another's run (Parallel::steal).
struct CrewRange {
  int first, last;
};

/// The execution context of the collective loops of a pass, one per thread taking part.
class Parallel {
 public:
  /// Each loop forks an OpenMP team of its own, when its work pays for the fork: a prompt
  /// block's pass. Stateless (no barriers, no cursors), so one instance serves every thread.
  static Parallel& forking();

  /// A crew of one on the caller: every loop is its alone, in order; barriers return at once.
  static Parallel alone() { return Parallel(nullptr, 0, 1); }

  /// Whether loops fork OpenMP teams (else they are shared by the members of a crew).
  bool forks() const { return forks_; }
  /// This thread's member number in its crew (0: the caller of Crew::run); 0 when forking.
  int member() const { return member_; }
  /// Members of the crew; 1 when forking (the caller runs each loop's fork).
  int members() const { return size_; }

  /// Returns when every member has called it (as many times); what each wrote before is
  /// visible to all after. Nothing when forking or in a crew of one.
  void barrier();

  /// f() on member 0 alone, then a barrier: a step's serial part. f gets no context, so it
  /// makes no collective call. f must not throw (the others would wait at the barrier).
  template <class F>
  void on_one_member(F&& f) {
    if (member_ == 0) f();
    barrier();
  }

  /// For a loop the members call together, with the same arguments: its number, the same on
  /// every member (they count their loops; starts at 1 in each crew job). Crew only.
  unsigned next_loop() { return ++loops_; }

  /// In a crew of more than one, the items [begin, end) of run `run` (< members()) of loop
  /// `loop` (end <= kMaxCrewRunItems; every member passes the same range for the same run and
  /// loop): its owner takes them one at a time from the front, the next one or -1 once all are
  /// taken...
  int take(unsigned loop, int run, int begin, int end);
  /// ... and a member that has finished its own run takes the back half of what is left (at
  /// least one item), or an empty range once all are taken: the two meet only at a steal, and
  /// each keeps walking items in order (a run of weight rows stays one stream).
  CrewRange steal(unsigned loop, int run, int begin, int end);

 private:
  friend class Crew;
  Parallel(CrewState* crew, int member, int size)
      : crew_(crew), member_(member), size_(size), forks_(false) {}
  Parallel() = default;  // forking

  CrewState* crew_ = nullptr;  // shared by the members of a crew of more than one
  int member_ = 0, size_ = 1;
  unsigned loops_ = 0;
  bool forks_ = true;
};

/// A thread team and the state of the crew job it runs: one per owner (a Session's execution
/// state), so crews of different owners run side by side, each on threads of its own.
class Crew {
 public:
  Crew();
  ~Crew();
  Crew(const Crew&) = delete;
  Crew& operator=(const Crew&) = delete;

  /// Runs body(context, member) on min(threads, usable_cpus(), 64) threads at once, the caller
  /// (member 0) and this crew's workers, each with its own member context; returns the members
  /// it ran on. When the team cannot give every member a thread of its own (a call inside a
  /// crew, a team job or an OpenMP region, or another thread is running this crew), the caller
  /// runs body alone: a crew of one. body must not throw: a member that left it would leave the
  /// others waiting at the next barrier (std::terminate instead).
  int run(int threads, void (*body)(void* context, Parallel& member) noexcept, void* context);

  template <class F>
  int run(int threads, F&& body) {
    using Body = std::remove_reference_t<F>;
    return run(
        threads, [](void* f, Parallel& member) noexcept { (*static_cast<Body*>(f))(member); },
        const_cast<void*>(static_cast<const void*>(&body)));
  }

  /// The members run(threads, ...) gives a crew when the team can serve it.
  static int members(int threads);

  /// Its team's worker threads (0 before its first job of two members or more).
  int workers() const { return team_.workers(); }

 private:
  ThreadTeam team_;
  std::unique_ptr<CrewState> state_;
};

}  // namespace engine
