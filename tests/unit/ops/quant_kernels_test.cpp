// The kernels of the ggml block formats in panels (KernelTable::gemm_q4_0, gemm_q2_k ...
// gemm_q6_k, gemm_q8_0) on every ISA this CPU has, against a double-precision dot product of the
// weights dequantised by a decoder written from ggml's block definitions
// (tests/support/ggml_block_reference.hpp) with x quantised per 32 values: every length, 1 to 16
// rows of x and blocks of 23 and 64, row counts that leave partial panels and lane groups, several
// panels, weights and x at odd addresses; a block's rows equal each row run alone, bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ggml_block_reference.hpp"
#include "ops/kernels/kernel_table.hpp"

namespace engine::kernels {
namespace {

using GemmPanels = KernelTable::QuantPanelGemm* KernelTable::*;

struct Case {
  DType type;
  GemmPanels kernel;
};

class QuantKernelsPerIsa : public ::testing::TestWithParam<Isa> {};

TEST_P(QuantKernelsPerIsa, EqualTheDequantisedDotProducts) {
  const KernelTable& k = kernels_for(GetParam());
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const Case& kase :
       {Case{DType::q4_0, &KernelTable::gemm_q4_0}, Case{DType::q4_1, &KernelTable::gemm_q4_1},
        Case{DType::q5_0, &KernelTable::gemm_q5_0}, Case{DType::q5_1, &KernelTable::gemm_q5_1},
        Case{DType::q2_k, &KernelTable::gemm_q2_k}, Case{DType::q3_k, &KernelTable::gemm_q3_k},
        Case{DType::q4_k, &KernelTable::gemm_q4_k}, Case{DType::q5_k, &KernelTable::gemm_q5_k},
        Case{DType::q6_k, &KernelTable::gemm_q6_k}, Case{DType::q8_0, &KernelTable::gemm_q8_0}}) {
    const WeightFormat& f = weight_format(kase.type);
    // The blocks of 32 also at lengths of a few blocks, the K-quants at 256 to 4096.
    std::vector<std::size_t> lengths = {256, 512, 768, 1280, 4096};
    if (f.block_values == 32) lengths.insert(lengths.begin(), {32, 96, 160});
    // Q8_0's panels are 32 rows: also a whole one and one row past it.
    std::vector<std::size_t> row_counts = {1, 3, 9, 16, 37};
    if (kase.type == DType::q8_0) row_counts.insert(row_counts.end(), {32, 33, 70});
    for (std::size_t cols : lengths)
      for (std::size_t rows : row_counts) {
        const auto file = ggml_reference::random_rows(kase.type, rows, cols, rng);
        const std::size_t row_bytes = file_row_bytes(f, cols);
        // The panels as a load lays them out, one byte past an aligned address.
        std::vector<std::uint8_t> loaded(f.loaded_bytes(rows, cols) + 1);
        for (std::size_t r = 0; r < rows; r += 4)
          f.store_rows(file.data() + r * row_bytes, r, std::min<std::size_t>(4, rows - r), rows,
                       cols, loaded.data() + 1);
        // Every weight once, in double precision.
        std::vector<double> w(rows * cols);
        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t c = 0; c < cols; ++c)
            w[r * cols + c] =
                ggml_reference::k_value(kase.type,
                                        &file[r * row_bytes + c / f.block_values * f.block_bytes],
                                        static_cast<int>(c % f.block_values))
                    .value;
        // 1 to 16 rows of x (decode), and blocks of a prompt (groups of rows past the first).
        std::vector<std::size_t> counts;
        for (std::size_t M = 1; M <= 16; M += (cols > 1024 ? 5 : 1)) counts.push_back(M);
        counts.insert(counts.end(), {23, 64});
        for (std::size_t M : counts) {
          std::vector<float> x(M * cols), y(M * (rows + 2), -7.0f);
          for (float& v : x) v = uniform(rng);
          const ggml_reference::Q8Rows xq = ggml_reference::q8_rows(x);
          std::vector<std::int8_t> quants(3);  // x's quants 3 bytes on
          quants.insert(quants.end(), xq.q.begin(), xq.q.end());
          const ggml_reference::QuantSums sums = ggml_reference::quant_sums(xq.q, xq.d);
          const std::size_t ldy = rows + 2;  // the columns past `rows` stay untouched
          (k.*kase.kernel)(loaded.data() + 1, quants.data() + 3, xq.d.data(), sums.sums16.data(),
                           sums.dsums32.data(), y.data(), rows, cols, M, ldy);
          for (std::size_t m = 0; m < M; ++m) {
            for (std::size_t r = 0; r < rows; ++r) {
              double want = 0, magnitude = 0;
              for (std::size_t c = 0; c < cols; ++c) {
                const double product = w[r * cols + c] * xq.value(m * cols + c);
                want += product;
                magnitude += std::abs(product);
              }
              ASSERT_NEAR(y[m * ldy + r], want, 2e-6 * magnitude + 1e-30)
                  << f.name << " cols " << cols << " rows " << rows << " M " << M << " r " << r;
            }
            ASSERT_EQ(y[m * ldy + rows], -7.0f);
            ASSERT_EQ(y[m * ldy + rows + 1], -7.0f);
          }
          // A prompt's rows (unpacked panels) give each row what it gives alone (decode), bit
          // for bit.
          if (M == 23)
            for (std::size_t m : {std::size_t{0}, std::size_t{11}, M - 1}) {
              std::vector<float> alone(rows);
              (k.*kase.kernel)(loaded.data() + 1, quants.data() + 3 + m * cols,
                               xq.d.data() + m * (cols / 32), sums.sums16.data() + m * (cols / 16),
                               sums.dsums32.data() + m * (cols / 32), alone.data(), rows, cols, 1,
                               rows);
              for (std::size_t r = 0; r < rows; ++r)
                ASSERT_EQ(y[m * ldy + r], alone[r]) << f.name << " cols " << cols << " m " << m;
            }
        }
      }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, QuantKernelsPerIsa, ::testing::ValuesIn(supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
}  // namespace engine::kernels
