// A crew: the thread team running one job together, every member executing the same code
// (SPMD) and meeting at barriers. A decode step runs as one crew job: its ~70 parallel loops
// (110M: 12 layers of 4 weight passes, attention and SwiGLU, then the classifier) and ~40
// serial parts then cost a barrier each instead of a fork and a join (a barrier costs a small
// fraction of either: docs/performance.md), and the workers are already running when a loop
// starts.
#pragma once

#include <memory>
#include <type_traits>

#include "util/thread_team.hpp"

namespace engine {

struct CrewState;

/// A thread team and the state of the crew job it runs: one per owner (a Session's execution
/// state), so crews of different owners run side by side, each on threads of its own.
class Crew {
 public:
  Crew();
  ~Crew();
  Crew(const Crew&) = delete;
  Crew& operator=(const Crew&) = delete;

  /// Runs body(context) on min(threads, usable_cpus(), 64) threads at once, the caller (member
  /// 0) and this crew's workers, each in the crew until all return; returns the members it ran
  /// on. When the team cannot give every member a thread of its own (a call inside a crew, a
  /// team job or an OpenMP region, or another thread is running this crew), the caller runs
  /// body alone: a crew of one, whose barriers return at once. body must not throw: a member
  /// that left it would leave the others waiting at the next barrier (std::terminate instead).
  int run(int threads, void (*body)(void* context) noexcept, void* context);

  template <class F>
  int run(int threads, F&& body) {
    using Body = std::remove_reference_t<F>;
    return run(
        threads, [](void* f) noexcept { (*static_cast<Body*>(f))(); },
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

/// body() as a crew of one on the caller: its loops are the caller's alone, its barriers return
/// at once. body must not throw.
void run_alone_as_crew(void (*body)(void* context) noexcept, void* context);

template <class F>
void run_alone_as_crew(F&& body) {
  using Body = std::remove_reference_t<F>;
  run_alone_as_crew([](void* f) noexcept { (*static_cast<Body*>(f))(); },
                    const_cast<void*>(static_cast<const void*>(&body)));
}

/// Whether this thread is running in a crew (of any size, one included).
bool in_crew();
/// This thread's member number in its crew (0: the caller of Crew::run); 0 outside a crew.
int crew_member();
/// Members of this thread's crew; 1 outside a crew.
int crew_size();

/// Returns when every member of this thread's crew has called it (as many times); what each
/// wrote before is visible to all after. Nothing outside a crew or in a crew of one.
void crew_barrier();

/// In a crew: member 0 runs f, as a crew of one (a loop inside it is its alone), then the crew
/// meets at a barrier: a step's serial part. Else f(). f must not throw.
template <class F>
void on_one_member(F&& f) {
  if (crew_member() == 0) run_alone_as_crew(f);
  crew_barrier();
}

/// For a loop the members of a crew call together, with the same arguments: its number, the
/// same on every member (count the loops; starts at 1 in each crew job).
unsigned crew_next_loop();

/// The largest item number a cursor holds (crew_take, crew_steal).
constexpr int kMaxCrewRunItems = (1 << 20) - 1;

/// In a crew of more than one, the items [begin, end) of run `run` (< crew_size()) of loop
/// `loop` (end <= kMaxCrewRunItems; every member passes the same range for the same run and
/// loop): its owner takes them one at a time from the front, the next one or -1 once all are
/// taken...
int crew_take(unsigned loop, int run, int begin, int end);
/// ... and a member that has finished its own run takes the back half of what is left (at least
/// one item), [first, last), or an empty range once all are taken: the two meet only at a steal,
/// and each keeps walking items in order (a run of weight rows stays one stream).
struct CrewRange {
  int first, last;
};
CrewRange crew_steal(unsigned loop, int run, int begin, int end);

}  // namespace engine
