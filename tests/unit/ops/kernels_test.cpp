// Every kernel of every ISA this CPU has against the scalar kernels, for every length up to 300
// and misaligned starts.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>

#include "ggml_block_reference.hpp"
#include "ops/half.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/quantize.hpp"
#include "tiled_weights.hpp"

namespace engine::kernels {
namespace {

std::vector<float> random_vector(std::size_t n, std::mt19937& rng, float lo = -2.0f,
                                 float hi = 2.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Sums in different orders: bound the error by the magnitude of what was summed.
void expect_sum_close(float got, float want, double magnitude, const std::string& where) {
  ASSERT_LE(std::abs(got - want), 1e-6 * magnitude + 1e-30) << where;
}

class KernelsPerIsa : public ::testing::TestWithParam<Isa> {
 protected:
  const KernelTable& simd() const { return kernels_for(GetParam()); }
  const KernelTable& scalar() const { return kernels_for(Isa::scalar); }
  std::mt19937 rng{99};
};

TEST_P(KernelsPerIsa, Dot) {
  for (std::size_t n = 0; n <= 300; ++n)
    for (std::size_t off : {0, 1, 5}) {
      const auto a = random_vector(n + off, rng), b = random_vector(n + off, rng);
      double magnitude = 0;
      for (std::size_t i = off; i < n + off; ++i) magnitude += std::abs(a[i] * b[i]);
      expect_sum_close(simd().dot(a.data() + off, b.data() + off, n),
                       scalar().dot(a.data() + off, b.data() + off, n), magnitude,
                       "n=" + std::to_string(n) + " off=" + std::to_string(off));
    }
}

// Sum of |w[r][c] * x[m][c]| over c: the scale of a dot product's rounding error.
double magnitude_of(const float* w, const float* x, std::size_t cols) {
  double magnitude = 0;
  for (std::size_t c = 0; c < cols; ++c) magnitude += std::abs(w[c] * x[c]);
  return magnitude;
}

TEST_P(KernelsPerIsa, Gemm) {
  for (std::size_t M : {1, 2, 3, 5, 8, 16}) {
    for (std::size_t rows : {1, 3, 4, 5, 9, 64}) {
      for (std::size_t cols : {1, 7, 16, 31, 64, 172, 300}) {
        const std::size_t ldy = rows + 2;
        const auto w = random_vector(rows * cols + 1, rng), x = random_vector(M * cols + 1, rng);
        const test::Tiles<float> wt(w.data() + 1, rows, cols, 1);
        std::vector<float> got(M * ldy, 7.0f), want(M * ldy, 7.0f);
        simd().gemm(wt.data(), x.data() + 1, got.data(), rows, cols, M, ldy);
        scalar().gemm(wt.data(), x.data() + 1, want.data(), rows, cols, M, ldy);
        for (std::size_t m = 0; m < M; ++m) {
          for (std::size_t r = 0; r < rows; ++r)
            expect_sum_close(got[m * ldy + r], want[m * ldy + r],
                             magnitude_of(&w[1 + r * cols], &x[1 + m * cols], cols),
                             "M=" + std::to_string(M) + " rows=" + std::to_string(rows) +
                                 " cols=" + std::to_string(cols));
          ASSERT_EQ(got[m * ldy + rows], 7.0f) << "wrote past the rows";
        }
      }
    }
  }
}

// A row of x gives the same bits alone or in a batch: batched decode equals unbatched.
TEST_P(KernelsPerIsa, GemmRowsDoNotDependOnTheBatch) {
  const std::size_t rows = 37, cols = 96, M = 11;
  const auto w = random_vector(rows * cols, rng), x = random_vector(M * cols, rng);
  const test::Tiles<float> wf(w.data(), rows, cols);
  const test::Q8_0Loaded wq(test::q8_0_blocks(w.data(), rows, cols), rows, cols);
  std::vector<std::int8_t> xq(x.size());
  std::vector<float> xd(x.size() / 32);
  simd().quantize_q8(x.data(), xq.data(), xd.data(), x.size());
  std::vector<float> batch(M * rows), one(rows);
  const auto expect_rows_equal = [&](const char* what, const auto& run) {
    run(0, M, batch.data());
    for (std::size_t m = 0; m < M; ++m) {
      run(m, 1, one.data());
      for (std::size_t r = 0; r < rows; ++r) ASSERT_EQ(one[r], batch[m * rows + r]) << what;
    }
  };
  expect_rows_equal("f32", [&](std::size_t m, std::size_t n, float* y) {
    simd().gemm(wf.data(), x.data() + m * cols, y, rows, cols, n, rows);
  });
  const ggml_reference::QuantSums sums = ggml_reference::quant_sums(xq, xd);
  expect_rows_equal("q8_0", [&](std::size_t m, std::size_t n, float* y) {
    simd().gemm_q8_0(wq.data(), xq.data() + m * cols, xd.data() + m * cols / 32,
                     sums.sums16.data() + m * cols / 16, sums.dsums32.data() + m * cols / 32, y,
                     rows, cols, n, rows);
  });
}

TEST_P(KernelsPerIsa, ActivationConversionsAreBitIdenticalToScalar) {
  for (std::size_t n : {0, 1, 15, 16, 17, 32, 100, 320}) {
    auto x = random_vector(n + 1, rng, -50.0f, 50.0f);
    if (n > 2) x[2] = 0.0f;
    std::vector<std::uint16_t> got(n + 1, 7), want(n + 1, 7);
    simd().to_bf16(x.data() + 1, got.data(), n);
    scalar().to_bf16(x.data() + 1, want.data(), n);
    EXPECT_EQ(got, want) << "n=" << n;
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(want[i], f32_to_bf16(x[1 + i]));
  }
  for (std::size_t blocks : {1, 2, 5}) {
    const std::size_t n = blocks * 32;
    auto x = random_vector(n + 1, rng, -3.0f, 3.0f);
    std::fill_n(x.begin() + 1 + 32 * (blocks - 1), 32, 0.0f);  // an all-zero block: scale 0
    std::vector<std::int8_t> gq(n), wq(n);
    std::vector<float> gd(blocks), wd(blocks);
    simd().quantize_q8(x.data() + 1, gq.data(), gd.data(), n);
    scalar().quantize_q8(x.data() + 1, wq.data(), wd.data(), n);
    EXPECT_EQ(gq, wq);
    EXPECT_EQ(gd, wd);
    for (std::size_t i = 0; i < n; ++i)  // round to nearest: within half a step
      ASSERT_LE(std::abs(wq[i] * wd[i / 32] - x[1 + i]), wd[i / 32] * 0.5f * 1.0001f);
    EXPECT_EQ(wd[blocks - 1], 0.0f);
  }
}

// Every f16 value, at every start within a vector: as f16_to_f32 (NaNs stay NaN).
TEST_P(KernelsPerIsa, WidenF16IsExact) {
  std::vector<std::uint16_t> in(65536 + 16);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint16_t>(i);
  for (std::size_t off : {0, 3}) {
    std::vector<float> out(in.size() - off + 1, 7.0f);
    simd().widen_f16(in.data() + off, out.data(), in.size() - off - 16);
    for (std::size_t i = 0; i + off + 16 < in.size(); ++i) {
      const float want = f16_to_f32(in[off + i]);
      if (std::isnan(want))
        ASSERT_TRUE(std::isnan(out[i])) << i;
      else
        ASSERT_EQ(std::bit_cast<std::uint32_t>(out[i]), std::bit_cast<std::uint32_t>(want)) << i;
    }
    EXPECT_EQ(out[in.size() - off - 16], 7.0f);
  }
}

// Starts 0, 4 and 20 bytes past the allocation (vector loads then straddle cache lines), with a
// guard element after the end that must not change.
constexpr std::size_t kOffsets[] = {0, 1, 5};

// Elementwise results within a relative bound, guards (7.0f before and after) untouched.
void expect_elementwise_close(const std::vector<float>& got, const std::vector<float>& want,
                              float relative, float absolute, std::size_t n, std::size_t off) {
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], relative * std::abs(want[i]) + absolute)
        << "n=" << n << " offset=" << off << " i=" << i;
}

TEST_P(KernelsPerIsa, AxpyIsExactElementwise) {
  for (std::size_t off : kOffsets)
    for (std::size_t n = 0; n <= 300; ++n) {
      const auto x = random_vector(n + off, rng), y0 = random_vector(n + off + 1, rng);
      auto got = y0, want = y0;
      simd().axpy(0.37f, x.data() + off, got.data() + off, n);
      scalar().axpy(0.37f, x.data() + off, want.data() + off, n);
      expect_elementwise_close(got, want, 1e-6f, 1e-7f, n, off);
      for (std::size_t i = 0; i < off; ++i) ASSERT_EQ(got[i], y0[i]) << "wrote before the start";
      ASSERT_EQ(got[n + off], y0[n + off]) << "wrote past the end";
    }
}

TEST_P(KernelsPerIsa, RmsNorm) {
  for (std::size_t off : kOffsets)
    for (std::size_t n = 1; n <= 300; ++n) {
      const auto x = random_vector(n + off, rng), w = random_vector(n + off, rng, 0.5f, 1.5f);
      std::vector<float> got(n + off + 1, 7.0f), want(n + off + 1, 7.0f);
      simd().rmsnorm(x.data() + off, w.data() + off, got.data() + off, n, 1e-5f);
      scalar().rmsnorm(x.data() + off, w.data() + off, want.data() + off, n, 1e-5f);
      expect_elementwise_close(got, want, 2e-6f, 1e-7f, n, off);
    }
}

TEST_P(KernelsPerIsa, LayerNorm) {
  for (std::size_t off : kOffsets)
    for (std::size_t n = 1; n <= 300; ++n) {
      // An offset mean, so the variance is not just the mean square.
      const auto x = random_vector(n + off, rng, 1.0f, 5.0f);
      const auto w = random_vector(n + off, rng, 0.5f, 1.5f), b = random_vector(n + off, rng);
      std::vector<float> got(n + off + 1, 7.0f), want(n + off + 1, 7.0f);
      simd().layernorm(x.data() + off, w.data() + off, b.data() + off, got.data() + off, n, 1e-5f);
      scalar().layernorm(x.data() + off, w.data() + off, b.data() + off, want.data() + off, n,
                         1e-5f);
      expect_elementwise_close(got, want, 1e-5f, 1e-5f, n, off);
    }
}

TEST_P(KernelsPerIsa, Gelu) {
  for (std::size_t off : kOffsets)
    for (std::size_t n = 0; n <= 300; ++n) {
      const auto x = random_vector(n + off + 1, rng, -12.0f, 12.0f);
      auto got = x, want = x;
      simd().gelu(got.data() + off, n);
      scalar().gelu(want.data() + off, n);
      expect_elementwise_close(got, want, 1e-6f, 1e-7f, n, off);
    }
}

TEST_P(KernelsPerIsa, SwiGlu) {
  for (std::size_t off : kOffsets)
    for (std::size_t n = 0; n <= 300; ++n) {
      const auto gate = random_vector(n + off + 1, rng, -20.0f, 20.0f);
      const auto up = random_vector(n + off, rng);
      auto got = gate, want = gate;
      simd().swiglu(got.data() + off, up.data() + off, n);
      scalar().swiglu(want.data() + off, up.data() + off, n);
      expect_elementwise_close(got, want, 1e-6f, 1e-7f, n, off);
    }
}

TEST_P(KernelsPerIsa, RopeIsBitIdenticalToScalar) {
  for (std::size_t head_size : {2, 4, 6, 14, 16, 18, 30, 32, 34, 48, 64, 66, 100, 128, 130})
    for (std::size_t heads : {1, 2, 3})
      for (std::size_t off : kOffsets) {
        const std::size_t n = heads * head_size;
        const auto v = random_vector(n + off + 1, rng);
        const auto cos = random_vector(head_size / 2 + off, rng, -1.0f, 1.0f);
        const auto sin = random_vector(head_size / 2 + off, rng, -1.0f, 1.0f);
        auto got = v, want = v;
        simd().rope(got.data() + off, n, head_size, cos.data() + off, sin.data() + off);
        scalar().rope(want.data() + off, n, head_size, cos.data() + off, sin.data() + off);
        for (std::size_t i = 0; i < got.size(); ++i)
          ASSERT_EQ(got[i], want[i])
              << "head_size=" << head_size << " heads=" << heads << " off=" << off << " i=" << i;
      }
}

// A run of query heads (grouped: head i reads KV head i / group) against keys and values
// interleaved in a cache row, every ISA against double sums of the definition; the weighted sum
// skips masked (0) positions and writes exactly its heads' columns.
TEST_P(KernelsPerIsa, AttentionScoresAndWeightedSum) {
  for (std::size_t head_size : {1, 2, 8, 15, 16, 17, 64, 100})
    for (const auto& [heads, group] : {std::pair<std::size_t, std::size_t>{1, 1}, {3, 1}, {4, 2}})
      for (std::size_t n : {0, 1, 2, 7, 33}) {
        const std::string where = "hs=" + std::to_string(head_size) +
                                  " heads=" + std::to_string(heads) + "/" + std::to_string(group) +
                                  " n=" + std::to_string(n);
        const std::size_t kv_heads = heads / group, stride = head_size * (kv_heads + 2) + 1;
        const std::size_t ldo = n + 3;
        const auto keys = random_vector(n * stride + 1, rng);
        const auto q = random_vector(heads * head_size, rng);
        std::vector<float> scores(heads * ldo, 9.0f);
        simd().attention_scores(q.data(), keys.data() + 1, stride, n, head_size, heads, group,
                                scores.data(), ldo);
        for (std::size_t i = 0; i < heads; ++i) {
          for (std::size_t j = 0; j < n; ++j) {
            const float* key = &keys[1 + j * stride + i / group * head_size];
            double want = 0, magnitude = 0;
            for (std::size_t d = 0; d < head_size; ++d) {
              want += static_cast<double>(q[i * head_size + d]) * key[d];
              magnitude += std::abs(static_cast<double>(q[i * head_size + d]) * key[d]);
            }
            expect_sum_close(scores[i * ldo + j], static_cast<float>(want), magnitude,
                             "scores " + where);
          }
          EXPECT_EQ(scores[i * ldo + n], 9.0f) << "wrote past the keys " << where;
        }
        auto p = random_vector(heads * ldo, rng, 0.0f, 1.0f);
        if (n > 1) p[1] = p[ldo + 1 < p.size() ? ldo + 1 : 1] = 0.0f;  // masked positions
        std::vector<float> out(heads * head_size + 1, 9.0f);
        simd().attention_weighted_sum(p.data(), ldo, keys.data() + 1, stride, n, head_size, heads,
                                      group, out.data());
        for (std::size_t i = 0; i < heads; ++i)
          for (std::size_t d = 0; d < head_size; ++d) {
            double want = 0, magnitude = 0;
            for (std::size_t j = 0; j < n; ++j) {
              const double term = static_cast<double>(p[i * ldo + j]) *
                                  keys[1 + j * stride + i / group * head_size + d];
              want += term;
              magnitude += std::abs(term);
            }
            expect_sum_close(out[i * head_size + d], static_cast<float>(want), magnitude,
                             "sum " + where);
          }
        EXPECT_EQ(out[heads * head_size], 9.0f) << "wrote past the heads " << where;
      }
}

// got (rows, cols) at ld_got = a (rows, inner) at lda times b (inner, cols) at ldb, against
// sums in double; the `fill` past each row's cols (up to ld_got) and before got left alone.
void expect_strided_product(const float* a, std::size_t lda, const float* b, std::size_t ldb,
                            std::size_t rows, std::size_t inner, std::size_t cols, const float* got,
                            std::size_t ld_got, float fill, const std::string& where) {
  for (std::size_t t = 0; t < rows; ++t) {
    for (std::size_t j = 0; j < cols; ++j) {
      double want = 0, magnitude = 0;
      for (std::size_t d = 0; d < inner; ++d) {
        const double x = double(a[t * lda + d]) * b[d * ldb + j];
        want += x;
        magnitude += std::abs(x);
      }
      expect_sum_close(got[t * ld_got + j], static_cast<float>(want), magnitude, where);
    }
    for (std::size_t j = cols; j < ld_got; ++j)
      ASSERT_EQ(got[t * ld_got + j], fill) << "wrote past the row, " << where;
  }
  ASSERT_EQ(got[-1], fill) << "wrote before the block, " << where;
}

// The block kernels (prefill) against sums in double over strided views: every tile shape and
// tail, with the outputs around the block left alone.
TEST_P(KernelsPerIsa, AttentionBlockScoresAndWeightedSum) {
  for (std::size_t head_size : {1, 2, 8, 15, 16, 17, 64, 100})
    for (std::size_t rows : {1, 3, 4, 5, 9})
      for (std::size_t n : {0, 1, 7, 16, 31, 33, 64, 70}) {
        const std::string where = "hs=" + std::to_string(head_size) +
                                  " rows=" + std::to_string(rows) + " n=" + std::to_string(n);
        const std::size_t ldq = head_size * 3 + 1, ldk = n + 5, ldo = n + 3;
        const auto q = random_vector(rows * ldq + 1, rng);
        const auto keys_t = random_vector(head_size * ldk + 1, rng);
        std::vector<float> scores(rows * ldo + 1, 7.0f);
        simd().attention_block_scores(q.data() + 1, ldq, keys_t.data() + 1, ldk, rows, n, head_size,
                                      scores.data() + 1, ldo);
        expect_strided_product(q.data() + 1, ldq, keys_t.data() + 1, ldk, rows, head_size, n,
                               scores.data() + 1, ldo, 7.0f, "scores " + where);

        const std::size_t ldp = n + 2, ldv = head_size * 2 + 3, ld_out = head_size + 4;
        auto p = random_vector(rows * ldp + 1, rng, 0.0f, 1.0f);
        const auto values = random_vector(n * ldv + 1, rng);
        std::vector<float> out(rows * ld_out + 1, 9.0f);
        simd().attention_block_weighted_sum(p.data() + 1, ldp, values.data() + 1, ldv, rows, n,
                                            head_size, out.data() + 1, ld_out);
        expect_strided_product(p.data() + 1, ldp, values.data() + 1, ldv, rows, n, head_size,
                               out.data() + 1, ld_out, 9.0f, "weighted sum " + where);
      }
}

// Q8_0 against the scalar kernel, on the Q8 blocks it takes; odd row counts, several rows of x.
// (f16 and bf16 decode on panels: decode_panels_test.cpp.)
TEST_P(KernelsPerIsa, GemmQ8_0) {
  for (std::size_t M : {1, 3, 8}) {
    for (std::size_t rows : {1, 4, 5, 7, 9}) {
      for (std::size_t cols : {32, 64, 96, 160, 2048}) {
        const auto w = random_vector(rows * cols, rng), x = random_vector(M * cols, rng);
        const std::string where = "M=" + std::to_string(M) + " cols=" + std::to_string(cols);
        std::vector<float> got(M * rows), want(M * rows);
        const auto expect_close = [&](const char* what) {
          for (std::size_t m = 0; m < M; ++m)
            for (std::size_t r = 0; r < rows; ++r)
              expect_sum_close(got[m * rows + r], want[m * rows + r],
                               magnitude_of(&w[r * cols], &x[m * cols], cols), what + where);
        };
        auto blocks = test::q8_0_blocks(w.data(), rows, cols);
        if (cols == 64) {  // -128 (GGUF files may hold it), in both halves of a block pair
          blocks[2] = 0x80;
          blocks[34 + 2 + 31] = 0x80;
        }
        const test::Q8_0Loaded wq(blocks, rows, cols);
        std::vector<std::int8_t> xq(M * cols);
        std::vector<float> xd(M * cols / 32);
        scalar().quantize_q8(x.data(), xq.data(), xd.data(), xq.size());
        const ggml_reference::QuantSums sums = ggml_reference::quant_sums(xq, xd);
        simd().gemm_q8_0(wq.data(), xq.data(), xd.data(), sums.sums16.data(), sums.dsums32.data(),
                         got.data(), rows, cols, M, rows);
        scalar().gemm_q8_0(wq.data(), xq.data(), xd.data(), sums.sums16.data(), sums.dsums32.data(),
                           want.data(), rows, cols, M, rows);
        expect_close("q8_0 ");
      }
    }
  }
}

// Every ISA's Q8 kernel is the definition: sum over blocks of dw * dx * (integer dot product),
// for every row of a partial panel (7 of 32 rows) and every count of x's rows a batch of decode
// steps may have (1 to 16: tiles of rows of x and their remainders).
TEST_P(KernelsPerIsa, Q8_0TimesQ8IsTheBlockwiseIntegerDotProduct) {
  const std::size_t rows = 7, cols = 96, row_bytes = cols / 32 * 34, kMaxM = 16;
  const auto w = random_vector(rows * cols, rng), x = random_vector(kMaxM * cols, rng);
  std::vector<std::uint8_t> wq(rows * row_bytes);
  for (std::size_t r = 0; r < rows; ++r)
    quantize_row_q8_0(w.data() + r * cols, wq.data() + r * row_bytes, cols);
  wq[5] = 0x80;  // -128
  std::vector<std::int8_t> xq(kMaxM * cols);
  std::vector<float> xd(kMaxM * cols / 32);
  scalar().quantize_q8(x.data(), xq.data(), xd.data(), xq.size());
  const test::Q8_0Loaded loaded(wq, rows, cols);
  const ggml_reference::QuantSums sums = ggml_reference::quant_sums(xq, xd);
  // want (kMaxM, rows): the definition in double.
  std::vector<double> want(kMaxM * rows);
  for (std::size_t m = 0; m < kMaxM; ++m)
    for (std::size_t r = 0; r < rows; ++r) {
      const std::uint8_t* row = wq.data() + r * row_bytes;
      for (std::size_t b = 0; b < cols / 32; ++b) {
        std::uint16_t bits;
        std::memcpy(&bits, &row[b * 34], 2);
        long dot = 0;
        for (std::size_t i = 0; i < 32; ++i)
          dot += static_cast<std::int8_t>(row[b * 34 + 2 + i]) * xq[m * cols + b * 32 + i];
        want[m * rows + r] += static_cast<double>(f16_to_f32(bits)) * xd[m * cols / 32 + b] * dot;
      }
    }
  for (std::size_t M = 1; M <= kMaxM; ++M) {
    // got (M, rows + 1): the column past the rows stays untouched.
    std::vector<float> got(M * (rows + 1), 7.0f);
    simd().gemm_q8_0(loaded.data(), xq.data(), xd.data(), sums.sums16.data(), sums.dsums32.data(),
                     got.data(), rows, cols, M, rows + 1);
    for (std::size_t m = 0; m < M; ++m) {
      for (std::size_t r = 0; r < rows; ++r) {
        const double expected = want[m * rows + r];
        EXPECT_NEAR(got[m * (rows + 1) + r], expected, 1e-5 * std::abs(expected) + 1e-6)
            << "M=" << M << " m=" << m << " row " << r;
      }
      ASSERT_EQ(got[m * (rows + 1) + rows], 7.0f) << "wrote past the rows, M=" << M;
    }
  }
}

// The scalar kernel on tiled f32 weights is the definition: each output the
// dot product of its row's values and x, for every row of tiles of 4, 2 and 1 rows and a last
// group part padding (7 rows, 100 columns).
TEST(KernelsScalar, TiledWeightsTimesXIsTheRowDotProduct) {
  std::mt19937 rng(4);
  const std::size_t rows = 7, cols = 100;
  const auto w = random_vector(rows * cols, rng), x = random_vector(3 * cols, rng);
  const test::Tiles<float> f32_tiles(w.data(), rows, cols);
  const KernelTable& k = kernels_for(Isa::scalar);
  // weight (r, i) and x (m, i) as the kernel of each type reads them
  const auto expect_dot_products = [&](const char* what, auto weight, auto x_at, auto run) {
    for (std::size_t M : {1, 3}) {  // tiles of 4 rows, and of 2 (kWideTileRows) for 3 rows of x
      std::vector<float> got(M * rows);
      run(M, got.data());
      for (std::size_t m = 0; m < M; ++m)
        for (std::size_t r = 0; r < rows; ++r) {
          double want = 0;
          for (std::size_t i = 0; i < cols; ++i)
            want += static_cast<double>(weight(r, i)) * x_at(m, i);
          EXPECT_NEAR(got[m * rows + r], want, 1e-5 * (std::abs(want) + 1))
              << what << " M=" << M << " row " << r;
        }
    }
  };
  const auto x_f32 = [&](std::size_t m, std::size_t i) { return x[m * cols + i]; };
  expect_dot_products(
      "f32", [&](std::size_t r, std::size_t i) { return w[r * cols + i]; }, x_f32,
      [&](std::size_t M, float* y) { k.gemm(f32_tiles.data(), x.data(), y, rows, cols, M, rows); });
}

// Rows stored in tiles read back as themselves, from any first row and count, and the padding
// (rows past the last, values past a row's last) stays zero.
TEST(TileLayout, RowsReadBackAsTheirRows) {
  std::mt19937 rng(7);
  const std::size_t rows = 11, cols = 70;  // 3 tiles, the last partial; 3 groups, the last partial
  const auto x = random_vector(rows * cols, rng);
  std::vector<std::uint16_t> values(x.size());
  quantize_bf16(x.data(), values.data(), values.size());
  const test::Tiles<std::uint16_t> tiles(values.data(), rows, cols);
  ASSERT_EQ(tiles.values.size(), 12u * 3 * 32);
  for (std::size_t first = 0; first < rows; ++first)
    for (std::size_t count = 1; first + count <= rows; ++count) {
      std::vector<std::uint16_t> back(count * cols + 1, 7);  // + 1: nothing written past the end
      load_rows_tiled(tiles.data(), first, count, cols, back.data());
      ASSERT_TRUE(std::equal(back.begin(), back.end() - 1, values.begin() + first * cols))
          << first << "+" << count;
      EXPECT_EQ(back.back(), 7) << first << "+" << count;
    }
  const std::size_t stored = std::count_if(tiles.values.begin(), tiles.values.end(),
                                           [](std::uint16_t v) { return v != 0; });
  EXPECT_EQ(stored, static_cast<std::size_t>(std::count_if(
                        values.begin(), values.end(), [](std::uint16_t v) { return v != 0; })));
}

// Rows of Q8_0 blocks stored in panels read back as the blocks' values (within half a step of
// the f32 they were made from), in a partial panel whose padding rows stay zero.
TEST(Quantize, Q8_0PanelsReadBackEveryRow) {
  std::mt19937 rng(5);
  const std::size_t rows = 5, cols = 96;
  const auto x = random_vector(rows * cols, rng, -3.0f, 3.0f);
  const test::Q8_0Loaded loaded(test::q8_0_blocks(x.data(), rows, cols), rows, cols);
  ASSERT_EQ(loaded.bytes.size(), 3 * (32 * 2 + 32 * 32u));  // 3 blocks of 32 rows
  const Matrix w{loaded.data(), DType::q8_0, static_cast<int>(rows), static_cast<int>(cols)};
  std::vector<float> back(cols);
  for (std::size_t r = 0; r < rows; ++r) {
    weight_format(DType::q8_0).load_rows(w, r, 1, back.data());
    for (std::size_t b = 0; b < cols / 32; ++b) {
      float amax = 0;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::abs(x[r * cols + b * 32 + i]));
      for (int i = 0; i < 32; ++i)
        ASSERT_LE(std::abs(back[b * 32 + i] - x[r * cols + b * 32 + i]), amax / 127 * 0.5f * 1.01f)
            << "row " << r << " block " << b;
    }
  }
  // Every byte outside the 5 rows x 3 blocks (32 quants + 2 scale bytes each) is padding.
  std::size_t nonzero = 0;
  for (std::uint8_t byte : loaded.bytes) nonzero += byte != 0;
  EXPECT_LE(nonzero, rows * 3 * 34);
  EXPECT_GT(nonzero, rows * 3 * 30);
}

// Any range of rows (within a panel or across panels) reads back as its rows one by one.
TEST(Quantize, Q8_0PanelRangesReadBackAsTheirRows) {
  std::mt19937 rng(6);
  const std::size_t rows = 70, cols = 160;  // 3 panels, the last partial; 5 blocks
  const auto x = random_vector(rows * cols, rng, -3.0f, 3.0f);
  const test::Q8_0Loaded loaded(test::q8_0_blocks(x.data(), rows, cols), rows, cols);
  const Matrix w{loaded.data(), DType::q8_0, static_cast<int>(rows), static_cast<int>(cols)};
  const WeightFormat& f = weight_format(DType::q8_0);
  std::vector<float> each(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) f.load_rows(w, r, 1, each.data() + r * cols);
  for (std::size_t first = 0; first < rows; first += 3)
    for (std::size_t count = 1; first + count <= rows; count += 5) {
      std::vector<float> range(count * cols + 1, -1.0f);  // + 1: nothing written past the end
      f.load_rows(w, first, count, range.data());
      for (std::size_t i = 0; i < count * cols; ++i)
        ASSERT_EQ(range[i], each[first * cols + i]) << first << "+" << count << " at " << i;
      EXPECT_EQ(range.back(), -1.0f) << first << "+" << count;
    }
}

// Every half, by its definition: (-1)^s 2^(e-15) (1 + m/1024), subnormal 2^-14 (m/1024),
// exponent 31 infinity or NaN.
TEST(Quantize, F16ToF32IsExactForEveryHalf) {
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const double sign = h & 0x8000 ? -1.0 : 1.0;
    const float got = f16_to_f32(static_cast<std::uint16_t>(h));
    if (e == 31 && m != 0) {
      ASSERT_TRUE(std::isnan(got)) << std::hex << h;
      continue;
    }
    const double want = e == 31  ? sign * std::numeric_limits<double>::infinity()
                        : e == 0 ? sign * std::ldexp(m / 1024.0, -14)
                                 : sign * std::ldexp(1.0 + m / 1024.0, e - 15);
    ASSERT_EQ(got, static_cast<float>(want)) << std::hex << h;
    ASSERT_EQ(std::signbit(got), (h & 0x8000) != 0) << std::hex << h;  // -0 too
  }
}

TEST(Quantize, HalfPrecisionConversions) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.333333f})
    EXPECT_NEAR(f16_to_f32(f32_to_f16(f)), f, std::abs(f) * 1e-3f) << f;
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(3.0f)), 3.0f);
  EXPECT_EQ(f32_to_bf16(1.00390625f), 0x3f80);  // halfway: rounds to even
}

TEST(Quantize, Bf16KeepsNaNAndInfinity) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(f32_to_bf16(inf), 0x7f80);
  EXPECT_EQ(f32_to_bf16(-inf), 0xff80);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds past the largest
  EXPECT_EQ(f32_to_bf16(1.00390637f), 0x3f81);                        // past halfway: up
  // A NaN whose payload is all in the dropped half stays a NaN (rounding would make it inf).
  for (std::uint32_t bits : {0x7f800001u, 0xff800001u, 0x7fc00000u, 0x7fbfffffu}) {
    float nan;
    std::memcpy(&nan, &bits, sizeof nan);
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(nan)))) << std::hex << bits;
    EXPECT_EQ(f32_to_bf16(nan) & 0x8000, (bits >> 16) & 0x8000) << "sign, " << std::hex << bits;
  }
}

TEST(Quantize, Q8_0RoundsHalfwayToEven) {
  // amax 127 gives the scale 1 (exact in f16): each value is its own quant, halves to even.
  std::vector<float> x(32, 0.0f);
  const float values[] = {127.0f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, -0.5f, 1.5f, 126.5f, 2.4999998f};
  const int want[] = {127, 2, 4, -2, -4, 0, 0, 2, 126, 2};
  std::copy(std::begin(values), std::end(values), x.begin());
  std::vector<std::uint8_t> block(34);
  quantize_row_q8_0(x.data(), block.data(), 32);
  std::uint16_t scale;
  std::memcpy(&scale, block.data(), 2);
  EXPECT_EQ(f16_to_f32(scale), 1.0f);
  for (std::size_t i = 0; i < std::size(want); ++i)
    EXPECT_EQ(static_cast<std::int8_t>(block[2 + i]), want[i]) << values[i];
}

TEST(KernelsScalar, SwiGluAndRmsNormFollowTheirDefinitions) {
  const KernelTable& k = kernels_for(Isa::scalar);
  float gate[3] = {-2.0f, 0.0f, 3.0f};
  const float up[3] = {1.5f, 2.0f, -1.0f};
  k.swiglu(gate, up, 3);
  EXPECT_FLOAT_EQ(gate[0], -2.0f / (1.0f + std::exp(2.0f)) * 1.5f);
  EXPECT_FLOAT_EQ(gate[1], 0.0f);
  EXPECT_FLOAT_EQ(gate[2], 3.0f / (1.0f + std::exp(-3.0f)) * -1.0f);
  const float x[2] = {3.0f, 4.0f}, w[2] = {1.0f, 2.0f};
  float out[2];
  k.rmsnorm(x, w, out, 2, 0.0f);  // rms = sqrt(12.5)
  EXPECT_FLOAT_EQ(out[0], 3.0f / std::sqrt(12.5f));
  EXPECT_FLOAT_EQ(out[1], 8.0f / std::sqrt(12.5f));
}

TEST(KernelsScalar, RopeRotatesEachHeadsPairsByTheirFrequency) {
  float v[8] = {1.0f, 2.0f, 3.0f, -1.0f, 0.5f, 4.0f, -2.0f, 1.5f};  // two heads of 4
  const float in[8] = {1.0f, 2.0f, 3.0f, -1.0f, 0.5f, 4.0f, -2.0f, 1.5f};
  const float cos[2] = {0.6f, -0.28f}, sin[2] = {0.8f, 0.96f};
  kernels_for(Isa::scalar).rope(v, 8, 4, cos, sin);
  for (int i = 0; i < 8; i += 2) {
    const int f = (i % 4) / 2;
    EXPECT_EQ(v[i], in[i] * cos[f] - in[i + 1] * sin[f]) << i;
    EXPECT_EQ(v[i + 1], in[i] * sin[f] + in[i + 1] * cos[f]) << i;
  }
}

TEST(KernelsScalar, LayerNormAndGeluFollowTheirDefinitions) {
  const KernelTable& k = kernels_for(Isa::scalar);
  const float x[4] = {1.0f, 2.0f, 3.0f, 6.0f}, w[4] = {1.0f, 2.0f, 0.5f, 1.0f};
  const float b[4] = {0.0f, 1.0f, -1.0f, 0.25f};
  float out[4];
  k.layernorm(x, w, b, out, 4, 1e-5f);  // mean 3, variance (4 + 1 + 0 + 9) / 4
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(out[i], (x[i] - 3.0f) / std::sqrt(3.5f + 1e-5f) * w[i] + b[i], 1e-6f) << i;
  float g[5] = {-30.0f, -1.5f, 0.0f, 0.7f, 30.0f};
  const float in[5] = {-30.0f, -1.5f, 0.0f, 0.7f, 30.0f};
  k.gelu(g, 5);
  for (int i = 0; i < 5; ++i) {
    const double v = in[i];
    const double want =
        0.5 * v *
        (1 + std::tanh(std::sqrt(2 / 3.14159265358979323846) * (v + 0.044715 * v * v * v)));
    EXPECT_NEAR(g[i], want, 1e-6 * std::abs(want) + 1e-7) << v;
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, KernelsPerIsa, ::testing::ValuesIn(supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

TEST(Isa, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(parse_isa("avx2"), Isa::avx2);
  EXPECT_EQ(parse_isa("scalar"), Isa::scalar);
  EXPECT_EQ(parse_isa("avx512_vnni_bf16"), Isa::avx512_vnni_bf16);
  for (Isa isa : supported_isas()) EXPECT_EQ(parse_isa(isa_name(isa)), isa);
  EXPECT_ANY_THROW(parse_isa("sse9"));
  EXPECT_TRUE(cpu_supports(Isa::scalar));
  EXPECT_EQ(supported_isas().front(), Isa::scalar);
  EXPECT_EQ(supported_isas().back(), best_supported_isa());
}

}  // namespace
}  // namespace engine::kernels
