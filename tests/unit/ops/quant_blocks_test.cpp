// ggml's 4- to 6-bit block types (Q4_0 ... Q6_K): every format's rows read back, and its decode
// kernel's products, against a double-precision decoder written here from ggml's block
// definitions (ggml-common.h: field order and bit positions), one value at a time.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "ggml_block_reference.hpp"
#include "ops/half.hpp"
#include "ops/matmul.hpp"
#include "ops/weight_format.hpp"

namespace engine {
namespace {

using namespace ggml_reference;

// Those rows loaded as a model load lays them out.
struct Loaded {
  std::vector<std::uint8_t> bytes;
  Matrix w;
  Loaded(DType type, const std::vector<std::uint8_t>& file, int rows, int cols)
      : bytes(weight_format(type).loaded_bytes(rows, cols)), w{bytes.data(), type, rows, cols} {
    const WeightFormat& f = weight_format(type);
    const std::size_t row_bytes = file_row_bytes(f, cols);
    for (int r = 0; r < rows; r += 4)
      f.store_rows(file.data() + r * row_bytes, r, std::min(4, rows - r), rows, cols, bytes.data());
  }
};

TEST(QuantBlocks, FormatsMatchTheirDTypeAndGgmlLayout) {
  ASSERT_EQ(weight_formats().size(), 13u);
  for (std::size_t i = 0; i < weight_formats().size(); ++i) {
    const DType type = static_cast<DType>(i);
    const WeightFormat& f = weight_format(type);
    EXPECT_EQ(f.dtype, type);
    EXPECT_EQ(parse_dtype(f.name), type);
  }
  // ggml_type_traits: block sizes and ggml type numbers.
  EXPECT_EQ(weight_format(DType::q4_0).block_bytes, 18u);
  EXPECT_EQ(weight_format(DType::q5_1).block_bytes, 24u);
  EXPECT_EQ(weight_format(DType::q2_k).block_bytes, 84u);
  EXPECT_EQ(weight_format(DType::q3_k).block_bytes, 110u);
  EXPECT_EQ(weight_format(DType::q4_k).block_bytes, 144u);
  EXPECT_EQ(weight_format(DType::q5_k).block_bytes, 176u);
  EXPECT_EQ(weight_format(DType::q6_k).block_bytes, 210u);
  EXPECT_EQ(weight_format(DType::q4_k).ggml_type, 12u);
  EXPECT_EQ(weight_format(DType::q6_k).ggml_type, 14u);
  EXPECT_EQ(parse_dtype("Q4_K"), DType::q4_k);
}

TEST(QuantBlocks, RowsReadBackAsTheDoublePrecisionDecoderGives) {
  std::mt19937 rng(20);
  constexpr int kRows = 6, kCols = 512;
  for (DType type : kBlockTypes) {
    const auto file = random_rows(type, kRows, kCols, rng);
    const Loaded loaded(type, file, kRows, kCols);
    const WeightFormat& f = weight_format(type);
    std::vector<float> got(static_cast<std::size_t>(kRows) * kCols);
    f.load_rows(loaded.w, 0, kRows, got.data());
    const std::size_t row_bytes = file_row_bytes(f, kCols);
    for (int r = 0; r < kRows; ++r)
      for (int c = 0; c < kCols; ++c) {
        const std::uint8_t* block =
            file.data() + r * row_bytes + c / f.block_values * f.block_bytes;
        const Value want = k_value(type, block, static_cast<int>(c % f.block_values));
        ASSERT_NEAR(got[r * kCols + c], want.value, 1e-6 * want.magnitude + 1e-30)
            << f.name << " row " << r << " value " << c;
      }
    // And one row at a time, as an embedding lookup reads it.
    std::vector<float> row(kCols);
    matrix_row(loaded.w, 3, row.data());
    EXPECT_EQ(row, std::vector<float>(got.begin() + 3 * kCols, got.begin() + 4 * kCols)) << f.name;
  }
}

// The decode kernel (and the block path at 20 rows) is the dot product of the dequantised rows
// with x quantised per 32 values.
TEST(QuantBlocks, ProductsAreTheDequantisedDotProducts) {
  std::mt19937 rng(21);
  constexpr int kRows = 70, kCols = 768;
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (DType type : kBlockTypes) {
    const WeightFormat& f = weight_format(type);
    const auto file = random_rows(type, kRows, kCols, rng);
    const Loaded loaded(type, file, kRows, kCols);
    Workspace workspace;
    for (int M : {1, 3, 20}) {
      std::vector<float> x(static_cast<std::size_t>(M) * kCols), y(M * kRows);
      for (float& v : x) v = d(rng);
      const Q8Rows xq = q8_rows(x);
      // Every block type runs on x quantised per 32 values, M = 20 (a block: 17+ rows, 20 x 70
      // x 768 multiply-adds) too: its blocks run on the decode kernel's panels.
      ASSERT_EQ(f.activations, ActivationType::q8) << f.name;
      matmul(StepContext{.workspace = workspace}, x.data(), loaded.w, y.data(), M);
      for (int m = 0; m < M; ++m)
        for (int r = 0; r < kRows; ++r) {
          double want = 0, magnitude = 0;
          for (int c = 0; c < kCols; ++c) {
            const std::uint8_t* block =
                file.data() + r * file_row_bytes(f, kCols) + c / f.block_values * f.block_bytes;
            const double w = k_value(type, block, static_cast<int>(c % f.block_values)).value;
            const double xv = xq.value(m * kCols + c);
            want += w * xv;
            magnitude += std::abs(w * xv);
          }
          ASSERT_NEAR(y[m * kRows + r], want, 2e-6 * magnitude + 1e-30)
              << f.name << " M " << M << " row " << r;
        }
    }
  }
}

}  // namespace
}  // namespace engine
