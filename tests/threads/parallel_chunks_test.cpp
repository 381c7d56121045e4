// for_chunks: every value in exactly one chunk, chunks starting at multiples of 16, on OpenMP
// and in a crew, for lengths that do and do not divide evenly.
#include "ops/parallel_chunks.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "util/crew.hpp"

namespace engine {
namespace {

// Both ways of running it: on OpenMP from the caller, or with every member of a crew calling it.
class ForChunks : public testing::TestWithParam<bool> {};

INSTANTIATE_TEST_SUITE_P(Threads, ForChunks, testing::Values(false, true),
                         [](const auto& info) { return info.param ? "crew" : "openmp"; });

TEST_P(ForChunks, CoversEveryValueOnce) {
  const bool crew = GetParam();
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3}) {
    if (!crew) omp_set_num_threads(threads);
    for (std::size_t n : {0, 1, 15, 16, 17, 33, 65536, 65537, 98321, 200003}) {
      const auto calls = std::make_unique<std::atomic<int>[]>(n + 1);  // + 1: none past n
      std::atomic<int> misaligned{0};
      const auto loop = [&](Parallel& parallel) {
        for_chunks(parallel, n, [&](std::size_t begin, std::size_t count) {
          if (begin % 16 != 0) misaligned.fetch_add(1);
          for (std::size_t i = begin; i < begin + count; ++i) calls[i].fetch_add(1);
        });
      };
      if (crew)
        Crew().run(threads, loop);
      else
        loop(Parallel::forking());
      for (std::size_t i = 0; i < n; ++i)
        ASSERT_EQ(calls[i].load(), 1) << i << " of " << n << ", " << threads << " threads";
      EXPECT_EQ(calls[n].load(), 0) << n;
      EXPECT_EQ(misaligned.load(), 0) << n;
    }
  }
  omp_set_num_threads(saved);
}

// A crew of one takes the whole length in one chunk, on the caller: nothing to split it for.
TEST(ForChunksAlone, TakesEverythingInOneChunk) {
  Parallel alone = Parallel::alone();
  for (std::size_t n : {1, 17, 200003}) {
    std::vector<std::pair<std::size_t, std::size_t>> chunks;
    for_chunks(alone, n,
               [&](std::size_t begin, std::size_t count) { chunks.emplace_back(begin, count); });
    ASSERT_EQ(chunks.size(), 1u) << n;
    EXPECT_EQ(chunks[0], std::make_pair(std::size_t{0}, n));
  }
}

}  // namespace
}  // namespace engine
