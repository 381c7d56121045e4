// An elementwise kernel over a block's worth of values, split across the OpenMP threads or the
// members of a crew.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>

#include "util/crew.hpp"

namespace engine {

/// Calls f(begin, count) over [0, n). When `parallel` forks: one chunk per OpenMP thread once n
/// is large enough for the fork to pay, else one call. Chunks start at multiples of 32 values (a
/// block of Q8 activations, two cache lines of f32).
///
/// In a crew (`parallel` a member's, util/crew.hpp), every member calls it with the same
/// arguments and takes the chunk of its number, whatever n (there is no fork to pay for); then
/// the crew meets at a barrier.
template <class F>
void for_chunks(Parallel& parallel, std::size_t n, F&& f) {
  constexpr std::size_t kMinParallel = 1 << 16;
  const int chunks = !parallel.forks()   ? parallel.members()
                     : n >= kMinParallel ? omp_get_max_threads()
                                         : 1;
  if (chunks == 1) return f(std::size_t{0}, n);
  // A chunk's share rounded up, then to a whole 32: the chunks cover all n.
  const std::size_t per = ((n + chunks - 1) / chunks + 31) / 32 * 32;
  const auto chunk = [&](int i) {
    const std::size_t begin = i * per;
    if (begin < n) f(begin, std::min(per, n - begin));
  };
  if (!parallel.forks()) {
    chunk(parallel.member());
    return parallel.barrier();
  }
#pragma omp parallel for schedule(static)
  for (int i = 0; i < chunks; ++i) chunk(i);
}

}  // namespace engine
