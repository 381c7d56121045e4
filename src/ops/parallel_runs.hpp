// Items split across the threads as contiguous runs, each thread helping with the others' runs
// once its own is done.
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "util/crew.hpp"

namespace engine {

namespace detail {

/// The first item of run r of `runs` over n items (run r is [run_start(r), run_start(r + 1))).
inline int run_start(int n, int r, int runs) {
  return static_cast<int>(std::int64_t{n} * r / runs);
}

/// for_each_in_runs in a crew: the crew's cursors instead of a fork's.
template <class F>
void for_each_in_crew_runs(Parallel& crew, int n, F& f) {
  const int runs = crew.members(), me = crew.member();
  if (runs == 1) {
    for (int i = 0; i < n; ++i) f(i);
    return;
  }
  if (n > kMaxCrewRunItems) {  // more than a cursor counts: one member walks them all
    crew.on_one_member([&] {
      for (int i = 0; i < n; ++i) f(i);
    });
    return;
  }
  const unsigned loop = crew.next_loop();
  const auto run_range = [&](int run) {
    return std::pair{run_start(n, run, runs), run_start(n, run + 1, runs)};
  };
  const auto [begin, end] = run_range(me);
  for (int i; (i = crew.take(loop, me, begin, end)) >= 0;) f(i);  // its own run first
  for (int j = 1; j < runs; ++j) {  // then the back halves of what the others have left
    const int run = (me + j) % runs;
    const auto [run_begin, run_end] = run_range(run);
    for (CrewRange r; (r = crew.steal(loop, run, run_begin, run_end)).first < r.last;)
      for (int i = r.first; i < r.last; ++i) f(i);
  }
  crew.barrier();
}

}  // namespace detail

/// Calls f(i) once for every i in [0, n), on omp_get_max_threads() OpenMP threads when `fork`
/// (the work pays for a fork) and `parallel` forks. Each thread takes the items of its own
/// contiguous run in order, then whatever is left of the other runs (their next items, one at a
/// time). Why: a run of weight rows is one long memory stream (interleaving the threads' items,
/// schedule(dynamic), was slower on a decode step), yet equal runs leave the faster thread waiting
/// at the join when the other is held back (a shared host).
///
/// In a crew (`parallel` a member's, util/crew.hpp), every member calls it with the same
/// arguments: the members share the items whatever `fork` says (there is no fork to pay for), in
/// runs the same way, and meet at a barrier after them; a member done with its run takes the back
/// half of what another has left (Parallel::steal), so the two meet on that run's cursor once per
/// steal, not per item (faster than taking the other run's next items one at a time).
template <class F>
void for_each_in_runs(Parallel& parallel, int n, bool fork, F&& f) {
  if (!parallel.forks()) return detail::for_each_in_crew_runs(parallel, n, f);
  constexpr int kMaxRuns = 64;
  // As many runs as threads; OpenMP forks no more threads than items.
  const int runs = fork && n > 1 ? std::min(omp_get_max_threads(), kMaxRuns) : 1;
  if (runs <= 1) {
    for (int i = 0; i < n; ++i) f(i);
    return;
  }
  struct alignas(64) Run {  // a cache line each: the threads' cursors share none
    std::atomic<int> next;
    int end;
  };
  Run run[kMaxRuns];
  for (int r = 0; r < runs; ++r) {
    run[r].next.store(detail::run_start(n, r, runs), std::memory_order_relaxed);
    run[r].end = detail::run_start(n, r + 1, runs);
  }
  const auto take = [&](int thread) {
    for (int j = 0; j < runs; ++j) {  // its own run first
      Run& r = run[(thread + j) % runs];
      // Relaxed: the cursor only hands out items; the join publishes what f wrote.
      for (int i; (i = r.next.fetch_add(1, std::memory_order_relaxed)) < r.end;) f(i);
    }
  };
#pragma omp parallel num_threads(std::min(runs, n))
  take(omp_get_thread_num() % runs);  // teams may be smaller
}

}  // namespace engine
