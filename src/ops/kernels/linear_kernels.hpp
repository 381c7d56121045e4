// Dot products, the linear-layer kernels (matrix products for every weight type, with the
// activation conversions they take) and axpy, written once against Vec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

inline float dot(const float* a, const float* b, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  // Four independent accumulators hide the FMA latency.
  Vec::Reg s0 = Vec::zero(), s1 = Vec::zero(), s2 = Vec::zero(), s3 = Vec::zero();
  std::size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    s0 = Vec::fmadd(Vec::load(a + i), Vec::load(b + i), s0);
    s1 = Vec::fmadd(Vec::load(a + i + W), Vec::load(b + i + W), s1);
    s2 = Vec::fmadd(Vec::load(a + i + 2 * W), Vec::load(b + i + 2 * W), s2);
    s3 = Vec::fmadd(Vec::load(a + i + 3 * W), Vec::load(b + i + 3 * W), s3);
  }
  for (; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    s0 = Vec::fmadd(load_n(a + i, len, 0.0f), load_n(b + i, len, 0.0f), s0);
  }
  return Vec::reduce_add(Vec::add(Vec::add(s0, s1), Vec::add(s2, s3)));
}

// The linear layers, y (M, rows) = x (M, cols) · wᵀ, in register tiles of R weight rows by C
// rows of x: each weight load serves C rows of x and each x load R weight rows, so a block of
// up to 16 rows (a batch of decode steps) reads every weight row once from memory. Every
// product y[m][r] is summed the same way whatever M and the tile are (one accumulator per
// output, vector lanes reduced at the end), so a row's result does not depend on its batch.
constexpr std::size_t kTileRows = 4;
constexpr std::size_t kTileCols = Vec::kRegisters >= 32 ? 4 : 2;
// Each tile prefetches the same columns of the next tile's rows (R rows further on), so the
// next tile streams in while this one computes: a tile's rows are short streams (a Q8_0 row
// of 768 is 13 cache lines) that the hardware prefetcher alone picks up too late (measured:
// Q8_0 decode 1.4x, bf16 1.2x faster with it).

/// tile.run<R, C>(r, m) for the tile at weight row r and x row m, with C = the c <= kTileCols
/// rows of x left, as a compile-time count so the accumulators stay in registers.
template <std::size_t R, std::size_t C = kTileCols, typename Tile>
inline void run_tile(const Tile& tile, std::size_t r, std::size_t m, std::size_t c) {
  if constexpr (C > 1) {
    if (c < C) return run_tile<R, C - 1>(tile, r, m, c);
  }
  tile.template run<R, C>(r, m);
}

/// Every tile of (rows, M): weight rows outermost, so a tile of rows stays in L1 while all M
/// rows of x pass over it.
template <typename Tile>
inline void for_each_tile(const Tile& tile, std::size_t rows, std::size_t M) {
  std::size_t r = 0;
  for (; r + kTileRows <= rows; r += kTileRows)
    for (std::size_t m = 0; m < M; m += kTileCols)
      run_tile<kTileRows>(tile, r, m, M - m < kTileCols ? M - m : kTileCols);
  for (; r < rows; ++r)
    for (std::size_t m = 0; m < M; m += kTileCols)
      run_tile<1>(tile, r, m, M - m < kTileCols ? M - m : kTileCols);
}

/// f32 x times weights that load as f32 (f32, f16).
template <typename Weight>
struct LinearTile {
  const Weight* w;  // (rows, cols)
  const float* x;   // (M, cols)
  float* y;         // (M, ldy)
  std::size_t cols, ldy;

  template <std::size_t R, std::size_t C>
  void run(std::size_t r, std::size_t m) const {
    constexpr std::size_t W = Vec::kWidth;
    Vec::Reg acc[R][C];
    for (auto& row : acc)
      for (auto& a : row) a = Vec::zero();
    for (std::size_t i = 0; i < cols; i += W) {
      const std::size_t len = cols - i < W ? cols - i : W;
      Vec::Reg xv[C];
      for (std::size_t c = 0; c < C; ++c) xv[c] = load_n(x + (m + c) * cols + i, len, 0.0f);
      for (std::size_t k = 0; k < R; ++k) {
        Vec::prefetch(w + (r + k + R) * cols + i);
        const Vec::Reg wv = load_weights_n(w + (r + k) * cols + i, len);
        for (std::size_t c = 0; c < C; ++c) acc[k][c] = Vec::fmadd(wv, xv[c], acc[k][c]);
      }
    }
    for (std::size_t k = 0; k < R; ++k)
      for (std::size_t c = 0; c < C; ++c) y[(m + c) * ldy + r + k] = Vec::reduce_add(acc[k][c]);
  }
};

/// bf16 x times bf16 weights: exact products summed in f32 (vdpbf16ps where the CPU has it).
struct Bf16Tile {
  const std::uint16_t* w;  // (rows, cols)
  const std::uint16_t* x;  // (M, cols)
  float* y;                // (M, ldy)
  std::size_t cols, ldy;

  template <std::size_t R, std::size_t C>
  void run(std::size_t r, std::size_t m) const {
    constexpr std::size_t W = 2 * Vec::kWidth;
    Vec::Reg acc[R][C];
    for (auto& row : acc)
      for (auto& a : row) a = Vec::zero();
    for (std::size_t i = 0; i < cols; i += W) {
      const std::size_t len = cols - i < W ? cols - i : W;
      Vec::Bf16x2 xv[C];
      for (std::size_t c = 0; c < C; ++c) xv[c] = Vec::load_bf16x2_n(x + (m + c) * cols + i, len);
      for (std::size_t k = 0; k < R; ++k) {
        Vec::prefetch(w + (r + k + R) * cols + i);
        const Vec::Bf16x2 wv = Vec::load_bf16x2_n(w + (r + k) * cols + i, len);
        for (std::size_t c = 0; c < C; ++c) acc[k][c] = Vec::dot_bf16x2(acc[k][c], wv, xv[c]);
      }
    }
    for (std::size_t k = 0; k < R; ++k)
      for (std::size_t c = 0; c < C; ++c) y[(m + c) * ldy + r + k] = Vec::reduce_add(acc[k][c]);
  }
};

/// Q8_0 weights (GGUF blocks: an f16 scale and 32 int8) times x quantised by quantize_q8: per
/// block an exact integer dot product, then one f32 multiply-add by both scales.
struct Q8Tile {
  static constexpr std::size_t kBlock = 32, kBlockBytes = 34;
  const std::uint8_t* w;  // (rows, cols / 32 blocks of 34 bytes)
  const std::int8_t* xq;  // (M, cols)
  const float* xd;        // (M, cols / 32)
  float* y;               // (M, ldy)
  std::size_t cols, ldy;

  template <std::size_t R, std::size_t C>
  void run(std::size_t r, std::size_t m) const {
    const std::size_t blocks = cols / kBlock, row_bytes = blocks * kBlockBytes;
    Vec::Reg acc[R][C];
    for (auto& row : acc)
      for (auto& a : row) a = Vec::zero();
    for (std::size_t b = 0; b < blocks; ++b) {
      Vec::Q8 xv[C];
      float dx[C];
      for (std::size_t c = 0; c < C; ++c) {
        xv[c] = Vec::load_q8(xq + (m + c) * cols + b * kBlock);
        dx[c] = xd[(m + c) * blocks + b];
      }
      for (std::size_t k = 0; k < R; ++k) {
        const std::uint8_t* block = w + (r + k) * row_bytes + b * kBlockBytes;
        Vec::prefetch(block + R * row_bytes);
        std::uint16_t scale_bits;
        std::memcpy(&scale_bits, block, 2);
        const float dw = Vec::f16_to_f32(scale_bits);
        const Vec::Q8 wv = Vec::load_q8(reinterpret_cast<const std::int8_t*>(block + 2));
        for (std::size_t c = 0; c < C; ++c)
          acc[k][c] = Vec::fmadd(Vec::set1(dw * dx[c]), Vec::dot_q8(wv, xv[c]), acc[k][c]);
      }
    }
    for (std::size_t k = 0; k < R; ++k)
      for (std::size_t c = 0; c < C; ++c) y[(m + c) * ldy + r + k] = Vec::reduce_add(acc[k][c]);
  }
};

inline void gemm(const float* w, const float* x, float* y, std::size_t rows, std::size_t cols,
                 std::size_t M, std::size_t ldy) {
  for_each_tile(LinearTile<float>{w, x, y, cols, ldy}, rows, M);
}

inline void gemm_f16(const std::uint16_t* w, const float* x, float* y, std::size_t rows,
                     std::size_t cols, std::size_t M, std::size_t ldy) {
  for_each_tile(LinearTile<F16>{reinterpret_cast<const F16*>(w), x, y, cols, ldy}, rows, M);
}

inline void gemm_bf16(const std::uint16_t* w, const std::uint16_t* x, float* y, std::size_t rows,
                      std::size_t cols, std::size_t M, std::size_t ldy) {
  for_each_tile(Bf16Tile{w, x, y, cols, ldy}, rows, M);
}

inline void gemm_q8_0(const std::uint8_t* w, const std::int8_t* xq, const float* xd, float* y,
                      std::size_t rows, std::size_t cols, std::size_t M, std::size_t ldy) {
  for_each_tile(Q8Tile{w, xq, xd, y, cols, ldy}, rows, M);
}

/// x (n a multiple of 32) as Q8 blocks for gemm_q8_0: per 32 values a scale d = max|x| / 127
/// and int8 round(x / d). Every ISA gives the same bits (max, one division, one multiply and
/// round-to-nearest-even are exact operations).
inline void quantize_q8(const float* x, std::int8_t* q, float* d, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth, kBlock = 32;
  for (std::size_t b = 0; b < n / kBlock; ++b, x += kBlock, q += kBlock) {
    Vec::Reg amax = Vec::zero();
    for (std::size_t i = 0; i < kBlock; i += W) amax = Vec::max(amax, Vec::abs(Vec::load(x + i)));
    const float scale = Vec::reduce_max(amax) / 127.0f;
    d[b] = scale;
    const Vec::Reg inv = Vec::set1(scale > 0.0f ? 1.0f / scale : 0.0f);
    for (std::size_t i = 0; i < kBlock; i += W)
      Vec::store_i8(q + i, Vec::mul(Vec::load(x + i), inv));
  }
}

/// n f32 values to bf16, rounded to nearest even (as f32_to_bf16; x holds no NaN).
inline void to_bf16(const float* x, std::uint16_t* out, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  std::size_t i = 0;
  for (; i + W <= n; i += W) Vec::store_bf16(out + i, Vec::load(x + i));
  if (i == n) return;
  std::uint16_t tail[W];
  Vec::store_bf16(tail, load_n(x + i, n - i, 0.0f));
  for (std::size_t j = 0; i + j < n; ++j) out[i + j] = tail[j];
}

inline void axpy(float a, const float* x, float* y, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  const Vec::Reg va = Vec::set1(a);
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    store_n(y + i, Vec::fmadd(va, load_n(x + i, len, 0.0f), load_n(y + i, len, 0.0f)), len);
  }
}
