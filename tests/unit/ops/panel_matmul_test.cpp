// The block product on panels (ops/panel_matmul.hpp), f32, f16 and Q8_0, on every ISA this CPU
// has: against a double-precision product (for f16 of the weights widened, for Q8_0 the
// blockwise definition on the quantised rows)
// and the scalar kernel for odd block, feature and input sizes (partial tiles of rows, partial
// last panels, one input or block, passes over k and rows), with misaligned x; each row's result
// independent of the block it came in.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/error.hpp"
#include "ggml_block_reference.hpp"
#include "ops/half.hpp"
#include "ops/panel_matmul.hpp"
#include "tiled_weights.hpp"
#include "util/huge_page_buffer.hpp"

namespace engine {
namespace {

std::vector<float> random_vector(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-2.0f, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// w's rows (row-major at w.data) in the layout a load gives them, which is their panels, in a
// buffer of their own (64-byte aligned as a load's): w.data and w.panels point into it.
HugePageBuffer pack(Matrix& w) {
  HugePageBuffer buffer(weight_format(w.dtype).loaded_bytes(w.rows, w.cols));
  test::store_loaded(w.dtype, w.data, w.rows, w.cols, buffer.data());
  w.data = buffer.data();
  w.panels = pack_panels(w, nullptr);
  return buffer;
}

class PanelMatmulPerIsa : public ::testing::TestWithParam<Isa> {
 protected:
  const kernels::KernelTable& simd() const { return kernels::kernels_for(GetParam()); }
  std::mt19937 rng{7};
};

// Runs y = x wᵀ for x at an odd offset (x is packed by the call, whatever its alignment);
// y starts as NaN, so an output never written shows.
std::vector<float> run(const kernels::KernelTable& k, const std::vector<float>& x, const Matrix& w,
                       std::size_t M) {
  std::vector<float> y(M * w.rows, std::numeric_limits<float>::quiet_NaN());
  PanelScratch scratch;
  panel_matmul(k, scratch, x.data() + 1, {{w, y.data()}}, M);
  return y;
}

// y = x wᵀ (x at an odd offset) on `simd` against `definition` (m, n) -> {exact value, sum of
// the terms' magnitudes} and the scalar kernel, within the rounding of that sum: `relative`
// times it (1e-6 where no term dominates and the roundings cancel).
template <typename Definition>
void expect_definition(const kernels::KernelTable& simd, const std::vector<float>& x,
                       const Matrix& packed, std::size_t M, Definition definition,
                       double relative = 1e-6) {
  const std::size_t N = packed.rows, K = packed.cols;
  ASSERT_NE(packed.panels, nullptr);
  ASSERT_EQ(reinterpret_cast<std::uintptr_t>(packed.panels) % 64, 0u);
  const auto got = run(simd, x, packed, M),
             want = run(kernels::kernels_for(Isa::scalar), x, packed, M);
  for (std::size_t m = 0; m < M; ++m)
    for (std::size_t n = 0; n < N; ++n) {
      const auto [exact, magnitude] = definition(m, n);
      const std::string where = "M=" + std::to_string(M) + " N=" + std::to_string(N) +
                                " K=" + std::to_string(K) + " at (" + std::to_string(m) + ", " +
                                std::to_string(n) + ")";
      ASSERT_LE(std::abs(got[m * N + n] - exact), relative * magnitude + 1e-30) << where;
      ASSERT_LE(std::abs(got[m * N + n] - want[m * N + n]), relative * magnitude + 1e-30) << where;
    }
}

// f32 and f16: the definition in double precision, x's row (K values) times w's row as f32.
std::pair<double, double> dot_definition(const float* x, const float* w, std::size_t K) {
  double exact = 0, magnitude = 0;
  for (std::size_t k = 0; k < K; ++k) {
    const double p = static_cast<double>(x[k]) * w[k];
    exact += p;
    magnitude += std::abs(p);
  }
  return {exact, magnitude};
}

void expect_product(const kernels::KernelTable& simd, std::size_t M, std::size_t N, std::size_t K,
                    std::mt19937& rng) {
  const auto w = random_vector(N * K, rng), x = random_vector(M * K + 1, rng);
  Matrix packed{w.data(), DType::f32, static_cast<int>(N), static_cast<int>(K)};
  const auto buffer = pack(packed);
  expect_definition(simd, x, packed, M, [&](std::size_t m, std::size_t n) {
    return dot_definition(x.data() + 1 + m * K, w.data() + n * K, K);
  });
}

// An IEEE half's value from its definition (finite halves): sign, 5 exponent bits (bias 15, 0
// for subnormals), 10 mantissa bits.
float half_value(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  const double magnitude =
      exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
  return static_cast<float>(h & 0x8000 ? -magnitude : magnitude);
}

// f16: w (N, K) rounded to IEEE half (with a subnormal, the largest half and a negative zero
// among them), tiled as a load tiles it, then packed in panels of halves; `widened` holds the
// halves' values.
struct F16Panels {
  std::vector<float> widened;  // (N, K)
  std::vector<std::uint16_t> halves;
  Matrix matrix;
  HugePageBuffer buffer;
  F16Panels(const std::vector<float>& w, std::size_t N, std::size_t K)
      : halves(rounded(w)),
        matrix{halves.data(), DType::f16, static_cast<int>(N), static_cast<int>(K)},
        buffer(pack(matrix)) {
    for (const std::uint16_t h : halves) widened.push_back(half_value(h));
  }
  static std::vector<std::uint16_t> rounded(const std::vector<float>& w) {
    std::vector<std::uint16_t> h(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) h[i] = f32_to_f16(w[i]);
    const std::uint16_t edges[] = {0x0001, 0x7bff, 0x8000};  // 2^-24, 65504, -0
    for (std::size_t i = 0; i < std::size(edges) && i < h.size(); ++i)
      h[i * h.size() / std::size(edges)] = edges[i];
    return h;
  }
};

void expect_f16_product(const kernels::KernelTable& simd, std::size_t M, std::size_t N,
                        std::size_t K, std::mt19937& rng) {
  const auto x = random_vector(M * K + 1, rng);
  const F16Panels w(random_vector(N * K, rng), N, K);
  // The row holding 65504 sums every term at that term's size, so its roundings need not
  // cancel: the bound for any order of K f32 additions.
  const double relative = std::max(1e-6, static_cast<double>(K) * 0x1p-24);
  expect_definition(
      simd, x, w.matrix, M,
      [&](std::size_t m, std::size_t n) {
        return dot_definition(x.data() + 1 + m * K, w.widened.data() + n * K, K);
      },
      relative);
}

// bf16: w (N, K) rounded to bf16 in its paired panels against x rounded to bf16 (as to_bf16
// rounds): the definition is the sum in double of the exact products of the rounded values.
void expect_bf16_product(const kernels::KernelTable& simd, std::size_t M, std::size_t N,
                         std::size_t K, std::mt19937& rng) {
  const auto x = random_vector(M * K + 1, rng), w = random_vector(N * K, rng);
  std::vector<std::uint16_t> bits(w.size());
  std::vector<float> w_values(w.size()), x_values(x.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    bits[i] = f32_to_bf16(w[i]);
    w_values[i] = bf16_to_f32(bits[i]);
  }
  for (std::size_t i = 0; i < x.size(); ++i) x_values[i] = bf16_to_f32(f32_to_bf16(x[i]));
  Matrix matrix{bits.data(), DType::bf16, static_cast<int>(N), static_cast<int>(K)};
  const auto buffer = pack(matrix);
  expect_definition(
      simd, x, matrix, M,
      [&](std::size_t m, std::size_t n) {
        return dot_definition(x_values.data() + 1 + m * K, w_values.data() + n * K, K);
      },
      std::max(1e-6, static_cast<double>(K) * 0x1p-24));
}

TEST_P(PanelMatmulPerIsa, EqualsTheProductForOddSizes) {
  for (std::size_t M : {1, 2, 11, 12, 13, 25, 128})
    for (std::size_t N : {1, 5, 31, 32, 33, 70})
      for (std::size_t K : {1, 3, 16, 17, 100}) {
        expect_product(simd(), M, N, K, rng);
        expect_f16_product(simd(), M, N, K, rng);
        expect_bf16_product(simd(), M, N, K, rng);
      }
}

// Past 1024 inputs the block runs in passes over k (partial sums kept in y), past 192 rows in
// passes over the rows.
TEST_P(PanelMatmulPerIsa, EqualsTheProductInPassesOverKAndRows) {
  for (std::size_t M : {13, 200})
    for (std::size_t K : {1025, 1100}) {
      expect_product(simd(), M, 45, K, rng);
      expect_f16_product(simd(), M, 45, K, rng);
      expect_bf16_product(simd(), M, 45, K, rng);
    }
}

// Each row of a block of M rows equals the same row run alone, bit for bit.
void expect_rows_independent(const kernels::KernelTable& simd, std::size_t M, std::size_t N,
                             std::size_t K, std::mt19937& rng) {
  const auto w = random_vector(N * K, rng), x = random_vector(M * K + 1, rng);
  Matrix matrix{w.data(), DType::f32, static_cast<int>(N), static_cast<int>(K)};
  const auto buffer = pack(matrix);
  const auto block = run(simd, x, matrix, M);
  for (std::size_t m = 0; m < M; ++m) {
    const std::vector<float> row(x.begin() + m * K, x.begin() + (m + 1) * K + 1);
    const auto alone = run(simd, row, matrix, 1);
    for (std::size_t n = 0; n < N; ++n) ASSERT_EQ(alone[n], block[m * N + n]) << m << ", " << n;
  }
}

TEST_P(PanelMatmulPerIsa, RowsDoNotDependOnTheBlock) {
  for (const auto& [M, K] : {std::pair<std::size_t, std::size_t>{29, 64}, {200, 1100}})
    expect_rows_independent(simd(), M, 45, K, rng);
}

// q, k and v (or gate and up) in one call: every product as it comes alone, bit for bit, with
// the threads' ranges crossing the matrices' boundaries (sizes not multiples of the panel).
TEST_P(PanelMatmulPerIsa, SeveralProductsEqualEachAlone) {
  const std::size_t M = 30, K = 40;
  const std::size_t rows[] = {70, 33, 5};
  std::vector<std::vector<float>> w;
  std::vector<Matrix> matrices;
  std::vector<HugePageBuffer> buffers;
  for (std::size_t N : rows) {
    w.push_back(random_vector(N * K, rng));
    matrices.push_back({w.back().data(), DType::f32, static_cast<int>(N), static_cast<int>(K)});
    buffers.push_back(pack(matrices.back()));
  }
  const auto x = random_vector(M * K + 1, rng);
  std::vector<float> y0(M * rows[0]), y1(M * rows[1]), y2(M * rows[2]);
  PanelScratch scratch;
  panel_matmul(simd(), scratch, x.data() + 1,
               {{matrices[0], y0.data()}, {matrices[1], y1.data()}, {matrices[2], y2.data()}}, M);
  EXPECT_EQ(y0, run(simd(), x, matrices[0], M));
  EXPECT_EQ(y1, run(simd(), x, matrices[1], M));
  EXPECT_EQ(y2, run(simd(), x, matrices[2], M));
}

// The f16 panels give the very sums the f32 panels give on the widened weights: widening is
// exact, and the kernel is the f32 one past the load.
TEST_P(PanelMatmulPerIsa, F16EqualsF32PanelsOfTheWidenedWeights) {
  for (const auto& [M, K] : {std::pair<std::size_t, std::size_t>{29, 64}, {200, 1100}}) {
    const F16Panels w(random_vector(45 * K, rng), 45, K);
    Matrix f32{w.widened.data(), DType::f32, 45, static_cast<int>(K)};
    const auto buffer = pack(f32);
    const auto x = random_vector(M * K + 1, rng);
    EXPECT_EQ(run(simd(), x, w.matrix, M), run(simd(), x, f32, M)) << "K=" << K;
  }
}

// Q8_0: w (N, K) as GGUF blocks with one quant at -128 (the panel holds quant + 128 as a byte:
// the extreme value), laid out as a load lays it out: its panels.
struct Q8Panels {
  std::vector<std::uint8_t> blocks;  // (N, K / 32 * 34), GGUF Q8_0
  Matrix matrix;
  HugePageBuffer buffer;
  Q8Panels(const std::vector<float>& w, std::size_t N, std::size_t K)
      : blocks(edited(test::q8_0_blocks(w.data(), N, K))),
        matrix{blocks.data(), DType::q8_0, static_cast<int>(N), static_cast<int>(K)},
        buffer(pack(matrix)) {}
  static std::vector<std::uint8_t> edited(std::vector<std::uint8_t> blocks) {
    blocks[2] = 0x80;  // row 0, block 0, quant 0
    return blocks;
  }
};

// The definition: per block of 32 the integer dot product of the weight quants and x's row
// quantised as the Q8_0 decode kernel takes it (quantize_q8, the same bits on every ISA), times
// both scales; and the sum of the terms' magnitudes (for the rounding bound).
std::pair<double, double> q8_definition(const Q8Panels& w, const float* x, std::size_t n) {
  const std::size_t K = w.matrix.cols, blocks = K / 32, row_bytes = blocks * 34;
  std::vector<std::int8_t> xq(K);
  std::vector<float> xd(blocks);
  kernels::kernels_for(Isa::scalar).quantize_q8(x, xq.data(), xd.data(), K);
  double sum = 0, magnitude = 0;
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::uint8_t* block = w.blocks.data() + n * row_bytes + b * 34;
    std::uint16_t bits;
    std::memcpy(&bits, block, 2);
    long dot = 0;
    for (std::size_t i = 0; i < 32; ++i)
      dot += static_cast<std::int8_t>(block[2 + i]) * xq[b * 32 + i];
    const double term = static_cast<double>(f16_to_f32(bits)) * xd[b] * dot;
    sum += term;
    magnitude += std::abs(term);
  }
  return {sum, magnitude};
}

void expect_q8_product(const kernels::KernelTable& simd, std::size_t M, std::size_t N,
                       std::size_t K, std::mt19937& rng) {
  const auto x = random_vector(M * K + 1, rng);
  const Q8Panels w(random_vector(N * K, rng), N, K);
  expect_definition(simd, x, w.matrix, M, [&](std::size_t m, std::size_t n) {
    return q8_definition(w, x.data() + 1 + m * K, n);
  });
}

TEST_P(PanelMatmulPerIsa, Q8_0EqualsTheBlockwiseDefinitionForOddSizes) {
  for (std::size_t M : {1, 2, 5, 6, 7, 11, 12, 13, 25, 128})
    for (std::size_t N : {1, 5, 31, 32, 33, 70})
      for (std::size_t K : {32, 64, 96}) expect_q8_product(simd(), M, N, K, rng);
}

TEST_P(PanelMatmulPerIsa, Q8_0EqualsTheDefinitionInPassesOverKAndRows) {
  for (std::size_t M : {13, 200})
    for (std::size_t K : {1056, 1120}) expect_q8_product(simd(), M, 45, K, rng);
}

TEST_P(PanelMatmulPerIsa, Q8_0RowsDoNotDependOnTheBlock) {
  for (const auto& [M, K] : {std::pair<std::size_t, std::size_t>{29, 64}, {200, 1120}}) {
    const Q8Panels w(random_vector(45 * K, rng), 45, K);
    const auto x = random_vector(M * K + 1, rng);
    const auto block = run(simd(), x, w.matrix, M);
    for (std::size_t m = 0; m < M; ++m) {
      const std::vector<float> row(x.begin() + m * K, x.begin() + (m + 1) * K + 1);
      const auto alone = run(simd(), row, w.matrix, 1);
      for (std::size_t n = 0; n < 45; ++n)
        ASSERT_EQ(alone[n], block[m * 45 + n]) << "K=" << K << " " << m << ", " << n;
    }
  }
}

TEST_P(PanelMatmulPerIsa, Q8_0SeveralProductsEqualEachAlone) {
  const std::size_t M = 30, K = 64;
  const Q8Panels w0(random_vector(70 * K, rng), 70, K), w1(random_vector(33 * K, rng), 33, K);
  const auto x = random_vector(M * K + 1, rng);
  std::vector<float> y0(M * 70), y1(M * 33);
  PanelScratch scratch;
  panel_matmul(simd(), scratch, x.data() + 1, {{w0.matrix, y0.data()}, {w1.matrix, y1.data()}}, M);
  EXPECT_EQ(y0, run(simd(), x, w0.matrix, M));
  EXPECT_EQ(y1, run(simd(), x, w1.matrix, M));
}

// The panels and the decode kernel sum each Q8_0 output alike (per block an exact integer sum,
// one multiply-add by the product of both scales, the blocks in order): the same bits on either,
// so a block of rows moving to the panels changes none of its products.
TEST_P(PanelMatmulPerIsa, Q8_0PanelsEqualTheDecodeKernel) {
  const std::size_t M = 13, N = 70, K = 1120;  // passes over k and rows, a partial last panel
  const Q8Panels w(random_vector(N * K, rng), N, K);
  const auto x = random_vector(M * K + 1, rng);
  std::vector<std::int8_t> xq(M * K);
  std::vector<float> xd(M * K / 32), decode(M * N);
  simd().quantize_q8(x.data() + 1, xq.data(), xd.data(), M * K);
  const ggml_reference::QuantSums sums = ggml_reference::quant_sums(xq, xd);
  simd().gemm_q8_0(static_cast<const std::uint8_t*>(w.matrix.data), xq.data(), xd.data(),
                   sums.sums16.data(), sums.dsums32.data(), decode.data(), N, K, M, N);
  EXPECT_EQ(run(simd(), x, w.matrix, M), decode);
}

INSTANTIATE_TEST_SUITE_P(AllIsas, PanelMatmulPerIsa, ::testing::ValuesIn(supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

TEST(PanelMatmul, PacksF32F16AndQ8_0AndPrefersPanelsWithAvx512) {
  const std::vector<std::uint16_t> bf16(64 * 32);
  // f32, f16, bf16 and Q8_0 load as their panels (no copy): 33 rows take two panels of 32
  // features; bf16 pairs values of k (an odd K padded by one); a Q8_0 panel holds per block of
  // 32 values the 32 features' f16 scales and 32 quant bytes.
  for (const DType type : {DType::f32, DType::f16, DType::bf16, DType::q8_0})
    EXPECT_EQ(panel_bytes({bf16.data(), type, 33, 64}), 0u) << dtype_name(type);
  EXPECT_EQ(weight_format(DType::f32).loaded_bytes(33, 32), 2u * 32 * 32 * sizeof(float));
  EXPECT_EQ(weight_format(DType::f16).loaded_bytes(33, 32), 2u * 32 * 32 * 2);
  EXPECT_EQ(weight_format(DType::bf16).loaded_bytes(33, 32), 2u * 32 * 32 * 2);
  EXPECT_EQ(weight_format(DType::bf16).loaded_bytes(33, 33), 2u * 34 * 32 * 2);
  EXPECT_EQ(weight_format(DType::q8_0).loaded_bytes(33, 64), 2u * 2 * (32 * 2 + 32 * 32));
  EXPECT_TRUE(prefers_panels(DType::f32, Isa::avx512));
  EXPECT_TRUE(prefers_panels(DType::f32, Isa::avx512_vnni_bf16));
  EXPECT_FALSE(prefers_panels(DType::f32, Isa::avx2));
  EXPECT_FALSE(prefers_panels(DType::f32, Isa::scalar));
  // bf16 on every ISA: vdpbf16ps, or pairs widened by shifting.
  EXPECT_TRUE(prefers_panels(DType::bf16, Isa::avx512_vnni_bf16));
  EXPECT_TRUE(prefers_panels(DType::bf16, Isa::scalar));
  EXPECT_TRUE(prefers_panels(DType::f16, Isa::avx512));
  EXPECT_TRUE(prefers_panels(DType::f16, Isa::avx512_vnni_bf16));
  EXPECT_FALSE(prefers_panels(DType::f16, Isa::avx2));
  // Q8_0 panels only where vpdpbusd sums a step in one instruction.
  EXPECT_TRUE(prefers_panels(DType::q8_0, Isa::avx512_vnni_bf16));
  EXPECT_FALSE(prefers_panels(DType::q8_0, Isa::avx512));
  EXPECT_FALSE(prefers_panels(DType::q8_0, Isa::avx2));
  EXPECT_FALSE(prefers_panels(DType::q8_0, Isa::scalar));
}

TEST(PanelMatmul, RefusesMoreThanFourProducts) {
  const std::vector<float> w(32 * 4, 1.0f), x(4, 1.0f);
  Matrix m{w.data(), DType::f32, 32, 4};
  const auto buffer = pack(m);
  std::vector<float> y(32);
  const kernels::KernelTable& k = kernels::kernels_for(Isa::scalar);
  PanelScratch scratch;
  EXPECT_THROW(
      panel_matmul(k, scratch, x.data(),
                   {{m, y.data()}, {m, y.data()}, {m, y.data()}, {m, y.data()}, {m, y.data()}}, 1),
      Error);
  panel_matmul(k, scratch, x.data(), {{m, y.data()}}, 1);
  EXPECT_EQ(y, std::vector<float>(32, 4.0f));
}

// One call packs x once for one kernel: products of f32 and Q8_0 panels are refused.
TEST(PanelMatmul, RefusesProductsOfTwoTypes) {
  std::mt19937 rng(5);
  const std::vector<float> w = random_vector(32 * 32, rng), x = random_vector(32, rng);
  Matrix f32{w.data(), DType::f32, 32, 32};
  const auto buffer = pack(f32);
  const Q8Panels q8(w, 32, 32);
  std::vector<float> y0(32), y1(32);
  PanelScratch scratch;
  EXPECT_THROW(panel_matmul(kernels::kernels_for(Isa::scalar), scratch, x.data(),
                            {{f32, y0.data()}, {q8.matrix, y1.data()}}, 1),
               Error);
}

}  // namespace
}  // namespace engine
