// Items split across the OpenMP threads as contiguous runs, each thread helping with the
// others' runs once its own is done.
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace engine {

/// Calls f(i) once for every i in [0, n), on all the threads when `parallel`. Each thread
/// takes the items of its own contiguous run in order, then whatever is left of the other
/// runs (their next items, one at a time). Why: a run of weight rows is one long memory
/// stream (interleaving the threads' items, schedule(dynamic), measured 10 % slower on a
/// decode step), yet equal runs leave the faster thread waiting at the join when the other is
/// held back (a shared host): 6-10 % of a 2-thread decode step was spent waiting there.
template <class F>
void for_each_in_runs(int n, bool parallel, F&& f) {
  constexpr int kMaxRuns = 64;
  const int runs = parallel ? std::min({omp_get_max_threads(), n, kMaxRuns}) : 1;
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
    run[r].next.store(static_cast<int>(std::int64_t{n} * r / runs), std::memory_order_relaxed);
    run[r].end = static_cast<int>(std::int64_t{n} * (r + 1) / runs);
  }
#pragma omp parallel num_threads(runs)
  {
    const int first = omp_get_thread_num() % runs;  // its own run (teams may be smaller)
    for (int j = 0; j < runs; ++j) {
      Run& r = run[(first + j) % runs];
      // Relaxed: the cursor only hands out items; the join publishes what f wrote.
      for (int i; (i = r.next.fetch_add(1, std::memory_order_relaxed)) < r.end;) f(i);
    }
  }
}

}  // namespace engine
