// Dot products, the linear-layer kernels (matrix products for every weight type, with the
// activation conversions they take) and axpy, written once against Vec.
#pragma once

#include <cstddef>
#include <cstdint>

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
// Up to kTileCols rows of x go in tiles of kTileRows weight rows; more rows of x in tiles of
// half as many weight rows and twice the rows of x (the same number of accumulators), so a
// batch of 8 passes over each weight tile once: a second pass would find the tile in cache but
// leave memory idle meanwhile.
constexpr std::size_t kTileRows = 4;
constexpr std::size_t kTileCols = Vec::kRegisters >= 32 ? 4 : 2;
constexpr std::size_t kWideTileRows = kTileRows / 2, kWideTileCols = 2 * kTileCols;
// A register tile's rows are rows of one layout tile (ops/tile_layout.hpp): the kernels below
// address row r + k from row r's place in its layout tile.
static_assert(kLayoutTileRows % kTileRows == 0 && kLayoutTileRows % kWideTileRows == 0);
// The weights are in the tile layout (ops/tile_layout.hpp): a call's weights are one stream,
// which the kernels read ahead of.

/// tile.run<R, C>(r, m) for the tile at weight row r and x row m, with C = the c <= CMax rows
/// of x left, as a compile-time count so the accumulators stay in registers.
template <std::size_t R, std::size_t CMax, std::size_t C = CMax, typename Tile>
inline void run_tile(const Tile& tile, std::size_t r, std::size_t m, std::size_t c) {
  if constexpr (C > 1) {
    if (c < C) return run_tile<R, CMax, C - 1>(tile, r, m, c);
  }
  tile.template run<R, C>(r, m);
}

/// Every R x C tile of (rows, M): weight rows outermost, so a tile of rows stays in L1 while
/// all M rows of x pass over it.
template <std::size_t R, std::size_t C, typename Tile>
inline void for_each_tile_of(const Tile& tile, std::size_t rows, std::size_t M) {
  std::size_t r = 0;
  for (; r + R <= rows; r += R)
    for (std::size_t m = 0; m < M; m += C) run_tile<R, C>(tile, r, m, M - m < C ? M - m : C);
  for (; r < rows; ++r)
    for (std::size_t m = 0; m < M; m += C) run_tile<1, C>(tile, r, m, M - m < C ? M - m : C);
}

template <typename Tile>
inline void for_each_tile(const Tile& tile, std::size_t rows, std::size_t M) {
  if (M <= kTileCols)
    for_each_tile_of<kTileRows, kTileCols>(tile, rows, M);
  else
    for_each_tile_of<kWideTileRows, kWideTileCols>(tile, rows, M);
}

/// The R x C accumulators of one tile: step(acc, i, len) for each chunk of W columns of [0, n)
/// (the last one maybe partial), then y[c * ldy + k] = the lane sum of acc[k][c]. Full chunks
/// pass W as a compile-time length, so the main loop has no tail checks and keeps every
/// accumulator in a register.
template <std::size_t R, std::size_t C, std::size_t W, typename Step>
inline void tile_sums(std::size_t n, const Step& step, float* y, std::size_t ldy) {
  Vec::Reg acc[R][C];
  for (auto& row : acc)
    for (auto& a : row) a = Vec::zero();
  std::size_t i = 0;
  for (; i + W <= n; i += W) step(acc, i, W);
  if (i < n) step(acc, i, n - i);
  for (std::size_t k = 0; k < R; ++k)
    for (std::size_t c = 0; c < C; ++c) y[c * ldy + k] = Vec::reduce_add(acc[k][c]);
}

/// Loads the byte at p and drops it: a real load, where a software prefetch would not do. On this
/// project's guests a prefetch that misses the TLB starts no page walk, so a long linear stream
/// began every 4 KB page with a demand walk; a load some pages ahead starts the walk early and
/// overlaps it with the stream.
inline void touch(const void* p) {
  static_cast<void>(*static_cast<const volatile std::uint8_t*>(p));
}

/// How the decode kernels read ahead of their stream of weights in the tile layout
/// (ops/tile_layout.hpp): every load's cache line is prefetched kAheadBytes before it, and once per
/// 4 KB page (at the step whose first row's load is in the page's first group of a tile) the page
/// kTouchAheadBytes on is touched. The distances are the ones that streamed fastest in
/// harnesses over the 1B and 110M shapes' Q8_0 and bf16 matrices (shorter ones left memory idle;
/// the touch roughly doubled a 1-thread stream).
struct StreamAhead {
  static constexpr std::size_t kAheadBytes = 8192;
  static constexpr std::size_t kTouchAheadBytes = 16384;
  const std::uint8_t* end;  // past the call's stream: touches stay before it

  /// Before the call's stream, starting at `begin`: the pages before the first touch's (the
  /// stream's own loads walk the first).
  static void touch_first_pages(const void* begin, std::size_t bytes) {
    for (std::size_t at = 4096; at < kTouchAheadBytes && at < bytes; at += 4096)
      touch(static_cast<const std::uint8_t*>(begin) + at);
  }
  /// Before the load of a step's row k at p, in a tile of C rows of x. Only a tile of one row
  /// touches: with more, a page's loads carry C times the arithmetic, more than the reorder
  /// window holds while a touch's miss is outstanding, so the touch stalled retirement for a
  /// memory latency per page (most of an 8-row f32 step's time on the Zen 4 guests).
  template <std::size_t C>
  void before_load(const void* p, std::size_t k) const {
    const auto* b = static_cast<const std::uint8_t*>(p);
    constexpr std::size_t kTileGroupBytes = kLayoutTileRows * kLayoutGroupBytes;
    if (C == 1 && k == 0 && reinterpret_cast<std::uintptr_t>(b) % 4096 < kTileGroupBytes &&
        static_cast<std::size_t>(end - b) > kTouchAheadBytes)
      touch(b + kTouchAheadBytes);
    Vec::prefetch(b + kAheadBytes);
  }
};

/// The values of row r + k from column i on in a tiled matrix (ops/tile_layout.hpp) whose row r
/// starts at wr: r + k in r's layout tile, and a step from i within one group.
template <typename T>
inline const T* tiled_row_at(const T* wr, std::size_t k, std::size_t i) {
  constexpr std::size_t G = kGroupValues<T>;
  return wr + (i / G * kLayoutTileRows + k) * G + i % G;
}

/// f32 x times f32 weights in the tile layout. R divides
/// kLayoutTileRows and tiles start at multiples of R, so a tile's rows are rows of one layout
/// tile (the same for the kernels below).
template <typename Weight>
struct LinearTile {
  const Weight* w;  // the first row's tile
  StreamAhead ahead;
  const float* x;  // (M, cols)
  float* y;        // (M, ldy)
  std::size_t cols, ldy;

  template <std::size_t R, std::size_t C>
  void run(std::size_t r, std::size_t m) const {
    static_assert(kGroupValues<Weight> % Vec::kWidth == 0);
    const Weight* wr = w + tile_offset<Weight>(tile_groups<Weight>(cols), r, 0);
    const float* xr = x + m * cols;
    const std::size_t n = cols;
    const auto step = [&](Vec::Reg(&acc)[R][C], std::size_t i, std::size_t len) {
      Vec::Reg xv[C];
      for (std::size_t c = 0; c < C; ++c) xv[c] = load_n(xr + c * n + i, len, 0.0f);
      for (std::size_t k = 0; k < R; ++k) {
        const Weight* p = tiled_row_at(wr, k, i);
        ahead.before_load<C>(p, k);
        const Vec::Reg wv = load_weights_n(p, len);
        for (std::size_t c = 0; c < C; ++c) acc[k][c] = Vec::fmadd(wv, xv[c], acc[k][c]);
      }
    };
    tile_sums<R, C, Vec::kWidth>(n, step, y + m * ldy + r, ldy);
  }
};

/// Every tile of a call on tiled values starting at w (rows, cols): the pages the first touch
/// skips touched, then the tiles of a `Tile` made from w and the read-ahead's end.
template <typename Tile, typename T, typename... Rest>
inline void for_each_tile_of_values(const T* w, std::size_t rows, std::size_t cols, std::size_t M,
                                    const Rest&... rest) {
  const std::size_t bytes = tiled_values<T>(rows, cols) * sizeof(T);
  StreamAhead::touch_first_pages(w, bytes);
  for_each_tile(Tile{w, {reinterpret_cast<const std::uint8_t*>(w) + bytes}, rest...}, rows, M);
}

inline void gemm(const float* w, const float* x, float* y, std::size_t rows, std::size_t cols,
                 std::size_t M, std::size_t ldy) {
  for_each_tile_of_values<LinearTile<float>>(w, rows, cols, M, x, y, cols, ldy);
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

/// n IEEE half values widened to f32 (an f16 matrix's rows for the block path).
inline void widen_f16(const std::uint16_t* in, float* out, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  std::size_t i = 0;
  for (; i + W <= n; i += W) Vec::store(out + i, Vec::load_f16(in + i));
  for (; i < n; ++i) out[i] = engine::f16_to_f32(in[i]);
}

inline void axpy(float a, const float* x, float* y, std::size_t n) {
  constexpr std::size_t W = Vec::kWidth;
  const Vec::Reg va = Vec::set1(a);
  for (std::size_t i = 0; i < n; i += W) {
    const std::size_t len = n - i < W ? n - i : W;
    store_n(y + i, Vec::fmadd(va, load_n(x + i, len, 0.0f), load_n(y + i, len, 0.0f)), len);
  }
}
