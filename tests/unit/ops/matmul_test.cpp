// matmuls: products of one x sharing a pass (decode's q/k/v and gate/up) give what each
// product gives alone, bit for bit, with mixed weight types, rows that are not multiples of
// the 64-row blocks, and thread runs that cross the matrices' boundaries. A block of rows on an
// unpacked matrix (oneDNN on rows read back from the panels, a chunk at a time) gives what the
// rows give one by one.
#include "ops/matmul.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "ops/quantize.hpp"
#include "tiled_weights.hpp"

namespace engine {
namespace {

TEST(Matmuls, SharedPassEqualsEachProductAlone) {
  const int saved_threads = omp_get_max_threads();
  omp_set_num_threads(2);
  Workspace workspace;
  const StepContext step{.workspace = workspace};
  constexpr int K = 256;
  const int rows[] = {300, 200, 50};  // q8, bf16, f32
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<std::vector<float>> f32(3);
  for (int i = 0; i < 3; ++i) {
    f32[i].resize(static_cast<std::size_t>(rows[i]) * K);
    for (float& v : f32[i]) v = d(rng);
  }
  const test::Q8_0Loaded q8(test::q8_0_blocks(f32[0].data(), rows[0], K), rows[0], K);
  std::vector<std::uint16_t> bf16(f32[1].size());
  quantize_bf16(f32[1].data(), bf16.data(), bf16.size());
  const test::Loaded bf16_panels(DType::bf16, bf16.data(), rows[1], K);
  const test::Loaded f32_panels(DType::f32, f32[2].data(), rows[2], K);
  const Matrix w[] = {{q8.data(), DType::q8_0, rows[0], K},
                      {bf16_panels.data(), DType::bf16, rows[1], K},
                      {f32_panels.data(), DType::f32, rows[2], K}};

  // 1 row forks (300 + 200 + 50) x 256 multiply-adds > 2^17; 16 rows is the largest block
  // that stays on the per-row kernels.
  for (int M : {1, 3, 16}) {
    std::vector<float> x(static_cast<std::size_t>(M) * K);
    for (float& v : x) v = d(rng);
    std::vector<std::vector<float>> shared(3), alone(3);
    for (int i = 0; i < 3; ++i) {
      shared[i].assign(static_cast<std::size_t>(M) * rows[i],
                       std::numeric_limits<float>::quiet_NaN());
      alone[i] = shared[i];
      matmul(step, x.data(), w[i], alone[i].data(), M);
    }
    matmuls(step, x.data(),
            {{w[0], shared[0].data()}, {w[1], shared[1].data()}, {w[2], shared[2].data()}}, M);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(shared[i], alone[i]) << "product " << i << ", M " << M;
    // Computed at all (NaN never equals NaN, but an all-NaN pair would also differ above).
    EXPECT_NE(alone[0][0], 0.0f);
  }
  omp_set_num_threads(saved_threads);
}

// 1030 rows: a chunk of 1024 and one of 6 rows (the last tile partial); 21 rows of x take the
// block path (no panels set: oneDNN on rows read back from the panels).
TEST(Matmul, BlockOnAnUnpackedMatrixEqualsItsRowsOneByOne) {
  constexpr int N = 1030, K = 64, M = 21;
  Workspace workspace;
  const StepContext step{.workspace = workspace};
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> f32(static_cast<std::size_t>(N) * K), x(static_cast<std::size_t>(M) * K);
  for (float& v : f32) v = d(rng);
  for (float& v : x) v = d(rng);
  std::vector<std::uint16_t> bf16(f32.size());
  quantize_bf16(f32.data(), bf16.data(), bf16.size());
  const test::Loaded f32_panels(DType::f32, f32.data(), N, K);
  const test::Loaded bf16_panels(DType::bf16, bf16.data(), N, K);
  for (const auto& [w, bound] : {std::pair{Matrix{f32_panels.data(), DType::f32, N, K}, 1e-4f},
                                 std::pair{Matrix{bf16_panels.data(), DType::bf16, N, K}, 1e-3f}}) {
    std::vector<float> block(static_cast<std::size_t>(M) * N), row(N);
    matmul(step, x.data(), w, block.data(), M);
    for (int m = 0; m < M; ++m) {
      matmul(step, x.data() + m * K, w, row.data(), 1);
      for (int n = 0; n < N; ++n)
        ASSERT_NEAR(block[m * N + n], row[n], bound)
            << dtype_name(w.dtype) << " " << m << ", " << n;
    }
  }
}

}  // namespace
}  // namespace engine
