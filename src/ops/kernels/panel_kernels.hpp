// The f32 block product on weights packed in panels (ops/panel_matmul.hpp): one panel of
// kPanelWidth output features against every row of a block, written once against Vec.
//
// Why not oneDNN here: on weights that come from memory (every layer's, in turn) its f32 matmul
// stalls on them, ~20 % below its rate on cached weights (measured: 768x768 by 128 rows, 543 vs
// 439 us). This kernel prefetches the next panel while it computes the current one, so memory
// stays busy under the arithmetic (465 us for the same product).
#pragma once

#include <cstddef>

// The block's rows come in tiles of kPanelTileRows, each packed k-major (ops/panel_layout.hpp):
// a tile's rows broadcast one after another from a single stream.
constexpr std::size_t kPanelVecs = kPanelWidth / Vec::kWidth;
// Rows per pass over the panel: as many as keep the accumulators and the panel's k-row in
// registers (AVX-512: the whole tile of 12; AVX2: 2; scalar: 1).
constexpr std::size_t kPanelPassRows =
    Vec::kRegisters > 3 * static_cast<int>(kPanelVecs)
        ? (Vec::kRegisters - 2 * kPanelVecs) / kPanelVecs < kPanelTileRows
              ? (Vec::kRegisters - 2 * kPanelVecs) / kPanelVecs
              : kPanelTileRows
        : 1;

// The next panel's cache lines, a few every kPrefetchSteps steps of k, so it arrives while this
// one computes.
constexpr std::size_t kPrefetchSteps = 8;
struct PanelPrefetch {
  const char* next;
  const char* end;
  std::size_t lines;  // per kPrefetchSteps steps
};

/// y (P, cols) (+)= the P rows of a tile from `a` (row p of step k at a[k * stride + p]) times
/// rows [k_begin, k_end) of the panel b (K, kPanelWidth); from k_begin > 0 on the partial sums
/// y holds. Each output is one FMA chain over k from 0 (a partial sum kept in y is the same
/// f32): the same sums whatever the block's size.
template <std::size_t P>
inline void panel_pass(const float* a, std::size_t stride, const float* b, std::size_t k_begin,
                       std::size_t k_end, float* y, std::size_t ldy, std::size_t cols,
                       PanelPrefetch& prefetch) {
  constexpr std::size_t W = Vec::kWidth;
  Vec::Reg acc[P][kPanelVecs];
  for (std::size_t p = 0; p < P; ++p)
    for (std::size_t v = 0; v < kPanelVecs; ++v) {
      const std::size_t first = v * W, n = cols > first ? cols - first : 0;
      // (No address past the row is formed for lanes beyond cols: n == 0 reads nothing.)
      acc[p][v] = k_begin == 0 || n == 0 ? Vec::zero()
                  : n >= W               ? Vec::load(y + p * ldy + first)
                                         : Vec::load_partial(y + p * ldy + first, n, 0.0f);
    }
  for (std::size_t k0 = k_begin; k0 < k_end; k0 += kPrefetchSteps) {
    for (std::size_t i = 0; i < prefetch.lines && prefetch.next < prefetch.end; ++i) {
      Vec::prefetch(prefetch.next);
      prefetch.next += 64;
    }
    const std::size_t steps_end = k_end - k0 < kPrefetchSteps ? k_end : k0 + kPrefetchSteps;
    // Unrolled: the loop's own instructions would otherwise take a third of the issue slots.
#pragma GCC unroll 8
    for (std::size_t k = k0; k < steps_end; ++k) {
      Vec::Reg bk[kPanelVecs];
      for (std::size_t v = 0; v < kPanelVecs; ++v) bk[v] = Vec::load(b + k * kPanelWidth + v * W);
      for (std::size_t p = 0; p < P; ++p) {
        const Vec::Reg ak = Vec::set1(a[k * stride + p]);
        for (std::size_t v = 0; v < kPanelVecs; ++v) acc[p][v] = Vec::fmadd(ak, bk[v], acc[p][v]);
      }
    }
  }
  for (std::size_t p = 0; p < P; ++p)
    for (std::size_t v = 0; v < kPanelVecs; ++v) {
      const std::size_t first = v * W, n = cols > first ? cols - first : 0;
      if (n >= W)
        Vec::store(y + p * ldy + first, acc[p][v]);
      else if (n > 0)
        Vec::store_partial(y + p * ldy + first, acc[p][v], n);
    }
}

/// panel_pass with P = the rows left (<= PMax) as a compile-time count.
template <std::size_t PMax>
inline void panel_pass_n(std::size_t rows, const float* a, std::size_t stride, const float* b,
                         std::size_t k_begin, std::size_t k_end, float* y, std::size_t ldy,
                         std::size_t cols, PanelPrefetch& prefetch) {
  if constexpr (PMax > 1) {
    if (rows < PMax)
      return panel_pass_n<PMax - 1>(rows, a, stride, b, k_begin, k_end, y, ldy, cols, prefetch);
  }
  panel_pass<PMax>(a, stride, b, k_begin, k_end, y, ldy, cols, prefetch);
}

inline void gemm_panel(const float* x_tiles, std::size_t M, std::size_t K, std::size_t k_begin,
                       std::size_t k_end, const float* panel, const void* next,
                       std::size_t next_bytes, float* y, std::size_t ldy, std::size_t cols) {
  const std::size_t tiles = (M + kPanelTileRows - 1) / kPanelTileRows;
  // Spread the next lines over all the steps of k this call takes.
  const std::size_t lines = next ? (next_bytes + 63) / 64 : 0;
  const std::size_t chunks = tiles * ((k_end - k_begin + kPrefetchSteps - 1) / kPrefetchSteps);
  const char* first = static_cast<const char*>(next);
  PanelPrefetch prefetch{first, first + lines * 64, chunks ? (lines + chunks - 1) / chunks : 0};
  for (std::size_t t = 0; t < tiles; ++t) {
    const std::size_t m = t * kPanelTileRows;
    const std::size_t rows = M - m < kPanelTileRows ? M - m : kPanelTileRows;
    const float* a = x_tiles + m * K;
    for (std::size_t p = 0; p < rows; p += kPanelPassRows) {
      const std::size_t n = rows - p < kPanelPassRows ? rows - p : kPanelPassRows;
      panel_pass_n<kPanelPassRows>(n, a + p, rows, panel, k_begin, k_end, y + (m + p) * ldy, ldy,
                                   cols, prefetch);
    }
  }
}
