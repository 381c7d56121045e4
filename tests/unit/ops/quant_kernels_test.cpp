// The decode kernels of the ggml block formats (KernelTable::gemm_q4_0, gemm_q4_k, gemm_q6_k)
// on every ISA this CPU has, against a double-precision dequantise-then-dot written from ggml's
// block definitions (tests/support/ggml_block_reference.hpp): every length, 1 to 16 rows of x, and
// row counts that leave partial register tiles.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ggml_block_reference.hpp"
#include "ops/kernels/kernel_table.hpp"

namespace engine::kernels {
namespace {

using GemmBlocks = void (*KernelTable::*)(const std::uint8_t*, const float*, float*, std::size_t,
                                          std::size_t, std::size_t, std::size_t);

struct Case {
  DType type;
  GemmBlocks kernel;
};

class QuantKernelsPerIsa : public ::testing::TestWithParam<Isa> {};

TEST_P(QuantKernelsPerIsa, EqualTheDequantisedDotProducts) {
  const KernelTable& k = kernels_for(GetParam());
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const Case& kase :
       {Case{DType::q4_0, &KernelTable::gemm_q4_0}, Case{DType::q4_k, &KernelTable::gemm_q4_k},
        Case{DType::q6_k, &KernelTable::gemm_q6_k}}) {
    const WeightFormat& f = weight_format(kase.type);
    // Q4_0 also at lengths of a few blocks, the K-quants at 256 to 4096.
    std::vector<std::size_t> lengths = {256, 512, 768, 1280, 4096};
    if (kase.type == DType::q4_0) lengths.insert(lengths.begin(), {32, 96, 160});
    for (std::size_t cols : lengths)
      for (std::size_t rows : {1, 3, 6, 13}) {
        const auto file = ggml_reference::random_rows(kase.type, rows, cols, rng);
        const std::size_t row_bytes = file_row_bytes(f, cols);
        // Every weight once, in double precision.
        std::vector<double> w(rows * cols);
        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t c = 0; c < cols; ++c)
            w[r * cols + c] =
                ggml_reference::k_value(kase.type,
                                        &file[r * row_bytes + c / f.block_values * f.block_bytes],
                                        static_cast<int>(c % f.block_values))
                    .value;
        for (std::size_t M = 1; M <= 16; M += (cols > 1024 ? 5 : 1)) {
          std::vector<float> x(M * cols), y(M * (rows + 2), -7.0f);
          for (float& v : x) v = uniform(rng);
          const std::size_t ldy = rows + 2;  // the columns past `rows` stay untouched
          (k.*kase.kernel)(file.data(), x.data(), y.data(), rows, cols, M, ldy);
          for (std::size_t m = 0; m < M; ++m) {
            for (std::size_t r = 0; r < rows; ++r) {
              double want = 0, magnitude = 0;
              for (std::size_t c = 0; c < cols; ++c) {
                want += w[r * cols + c] * x[m * cols + c];
                magnitude += std::abs(w[r * cols + c] * x[m * cols + c]);
              }
              ASSERT_NEAR(y[m * ldy + r], want, 2e-6 * magnitude + 1e-30)
                  << f.name << " cols " << cols << " rows " << rows << " M " << M << " r " << r;
            }
            ASSERT_EQ(y[m * ldy + rows], -7.0f);
            ASSERT_EQ(y[m * ldy + rows + 1], -7.0f);
          }
        }
      }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, QuantKernelsPerIsa, ::testing::ValuesIn(supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace engine::kernels
