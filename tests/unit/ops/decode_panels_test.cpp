// The decode kernels on panels (f32, f16 and bf16 weights as a load lays them out,
// ops/formats/value_panels.hpp) on every ISA this CPU has: each output against the dot product
// in double precision of its row's values and x's row (for bf16 rounded as to_bf16 rounds:
// the exact products of the bf16 values), for partial last panels, odd widths,
// 1 to 12 rows of x (more than a pass takes) at a misaligned start, outputs past the rows
// untouched; and each row of x summed the same way whatever M.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ops/half.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "tiled_weights.hpp"

namespace engine {
namespace {

class DecodePanelsPerIsa : public ::testing::TestWithParam<Isa> {
 protected:
  const kernels::KernelTable& simd() const { return kernels::kernels_for(GetParam()); }
  std::mt19937 rng{3};

  std::vector<float> random_vector(std::size_t n) {
    std::uniform_real_distribution<float> d(-2.0f, 2.0f);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
  }
};

// A (rows, K) matrix of one type: its values as f32 (the f16 ones widened) and its panels.
struct PanelMatrix {
  std::vector<float> values;  // (rows, K)
  test::Loaded loaded;
};

PanelMatrix f32_matrix(const std::vector<float>& w, std::size_t rows, std::size_t K) {
  return {w, test::Loaded(DType::f32, w.data(), rows, K)};
}

// f16 or bf16: w rounded by `narrow`, its values those halves widened back by `widen`.
template <std::uint16_t (*narrow)(float), float (*widen)(std::uint16_t)>
PanelMatrix half_matrix(DType type, const std::vector<float>& w, std::size_t rows, std::size_t K) {
  std::vector<std::uint16_t> halves(w.size());
  std::vector<float> widened(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    halves[i] = narrow(w[i]);
    widened[i] = widen(halves[i]);
  }
  return {widened, test::Loaded(type, halves.data(), rows, K)};
}

PanelMatrix matrix_of(DType type, const std::vector<float>& w, std::size_t rows, std::size_t K) {
  return type == DType::f32   ? f32_matrix(w, rows, K)
         : type == DType::f16 ? half_matrix<f32_to_f16, f16_to_f32>(type, w, rows, K)
                              : half_matrix<f32_to_bf16, bf16_to_f32>(type, w, rows, K);
}

// x's values as the type's kernel multiplies them: bf16 rounds x (as to_bf16), the others not.
std::vector<float> x_values(DType type, std::vector<float> x) {
  if (type == DType::bf16)
    for (float& v : x) v = bf16_to_f32(f32_to_bf16(v));
  return x;
}

// y (M, rows + 1) from the type's kernel, x at x_at (M, K); the column past the rows starts 7.
std::vector<float> run(const kernels::KernelTable& k, DType type, const PanelMatrix& w,
                       const float* x, std::size_t rows, std::size_t K, std::size_t M) {
  std::vector<float> y(M * (rows + 1), 7.0f);
  if (type == DType::bf16) {
    std::vector<std::uint16_t> xb(M * K);
    for (std::size_t i = 0; i < xb.size(); ++i) xb[i] = f32_to_bf16(x[i]);
    k.gemm_bf16_decode_panels(reinterpret_cast<const std::uint16_t*>(w.loaded.data()), xb.data(),
                              y.data(), rows, K, M, rows + 1);
  } else if (type == DType::f32)
    k.gemm_decode_panels(reinterpret_cast<const float*>(w.loaded.data()), x, y.data(), rows, K, M,
                         rows + 1);
  else
    k.gemm_f16_decode_panels(reinterpret_cast<const std::uint16_t*>(w.loaded.data()), x, y.data(),
                             rows, K, M, rows + 1);
  return y;
}

TEST_P(DecodePanelsPerIsa, EqualsTheRowDotProducts) {
  for (const DType type : {DType::f32, DType::f16, DType::bf16})
    for (std::size_t rows : {1, 31, 32, 33, 70})
      for (std::size_t K : {1, 3, 17, 100, 1030}) {
        const PanelMatrix w = matrix_of(type, random_vector(rows * K), rows, K);
        for (std::size_t M : {1, 2, 3, 5, 8, 12}) {
          const auto x = x_values(type, random_vector(M * K + 1));
          const auto y = run(simd(), type, w, x.data() + 1, rows, K, M);
          for (std::size_t m = 0; m < M; ++m) {
            for (std::size_t r = 0; r < rows; ++r) {
              double exact = 0, magnitude = 0;
              for (std::size_t k = 0; k < K; ++k) {
                const double p = static_cast<double>(x[1 + m * K + k]) * w.values[r * K + k];
                exact += p;
                magnitude += std::abs(p);
              }
              // Any order of K f32 additions.
              ASSERT_NEAR(y[m * (rows + 1) + r], exact, K * 0x1p-24 * magnitude + 1e-30)
                  << dtype_name(type) << " rows=" << rows << " K=" << K << " M=" << M << " at ("
                  << m << ", " << r << ")";
            }
            ASSERT_EQ(y[m * (rows + 1) + rows], 7.0f) << "wrote past the rows";
          }
        }
      }
}

// A batch of decode steps gives each row what it gives alone, bit for bit.
TEST_P(DecodePanelsPerIsa, RowsDoNotDependOnTheBatch) {
  const std::size_t rows = 45, K = 300, M = 11;
  for (const DType type : {DType::f32, DType::f16, DType::bf16}) {
    const PanelMatrix w = matrix_of(type, random_vector(rows * K), rows, K);
    const auto x = random_vector(M * K);
    const auto batch = run(simd(), type, w, x.data(), rows, K, M);
    for (std::size_t m = 0; m < M; ++m) {
      const auto alone = run(simd(), type, w, x.data() + m * K, rows, K, 1);
      for (std::size_t r = 0; r < rows; ++r)
        ASSERT_EQ(alone[r], batch[m * (rows + 1) + r]) << dtype_name(type) << " " << m << ", " << r;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, DecodePanelsPerIsa, ::testing::ValuesIn(supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace engine
