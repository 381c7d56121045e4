// The f32 block product on weights packed in panels (ops/panel_matmul.hpp): one panel of
// kPanelWidth output features against every row of a block, written once against Vec. Panels
// of f16 values run the same sums, each step's weights widened in registers (exact); panels of
// bf16 values step two values of k at a time against x rounded to bf16 (exact products,
// vdpbf16ps where the CPU has it).
//
// Why not oneDNN here: on weights that come from memory (every layer's, in turn) its f32 matmul
// stalls on them, well below its rate on cached weights. This kernel prefetches the next panel
// while it computes the current one, so memory stays busy under the arithmetic.
#pragma once

#include <cstddef>
#include <cstring>

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

// The P rows' sums over a panel's cols <= kPanelWidth features: zeros, or (`partial`) the
// partial sums y holds, and back to y. (No address past a row is formed for lanes beyond cols.)
template <std::size_t P>
inline void start_panel_sums(Vec::Reg (&acc)[P][kPanelVecs], bool partial, const float* y,
                             std::size_t ldy, std::size_t cols) {
  constexpr std::size_t W = Vec::kWidth;
  for (std::size_t p = 0; p < P; ++p)
    for (std::size_t v = 0; v < kPanelVecs; ++v) {
      const std::size_t first = v * W, n = cols > first ? cols - first : 0;
      acc[p][v] = !partial || n == 0 ? Vec::zero()
                  : n >= W           ? Vec::load(y + p * ldy + first)
                                     : Vec::load_partial(y + p * ldy + first, n, 0.0f);
    }
}
template <std::size_t P>
inline void store_panel_sums(const Vec::Reg (&acc)[P][kPanelVecs], float* y, std::size_t ldy,
                             std::size_t cols) {
  constexpr std::size_t W = Vec::kWidth;
  for (std::size_t p = 0; p < P; ++p)
    for (std::size_t v = 0; v < kPanelVecs; ++v) {
      const std::size_t first = v * W, n = cols > first ? cols - first : 0;
      if (n >= W)
        Vec::store(y + p * ldy + first, acc[p][v]);
      else if (n > 0)
        Vec::store_partial(y + p * ldy + first, acc[p][v], n);
    }
}

/// kWidth panel values from p as f32: f32 as they are, f16 widened (F16C where the ISA has it).
inline Vec::Reg load_panel_values(const float* p) {
  return Vec::load(p);
}
inline Vec::Reg load_panel_values(const std::uint16_t* p) {
  return Vec::load_f16(p);
}

/// How a panel's steps load and multiply. ValueSteps: f32 or f16 weights, one value of k per
/// step (K, kPanelWidth), against f32 x. Bf16PairSteps: bf16 weights, two values of k per step
/// (ceil(K / 2), kPanelWidth, 2: ops/formats/value_panels.hpp), against x's bf16 values in the
/// same pairs (a 32-bit word, the first value in the low half).
template <typename T>
struct ValueSteps {
  using Weight = T;
  using X = float;
  using Weights = Vec::Reg;
  using Xs = Vec::Reg;
  static constexpr std::size_t kValues = 1;
  // Decode's read-ahead: StreamAhead's.
  static constexpr std::size_t kAheadBytes = StreamAhead::kAheadBytes;
  static constexpr bool kTouches = true;
  static Weights load(const T* b) { return load_panel_values(b); }
  static Xs broadcast(float x) { return Vec::set1(x); }
  /// Step s of a row of x (K values).
  static float x_at(const float* x, std::size_t s, std::size_t) { return x[s]; }
  static Vec::Reg madd(Xs x, Weights w, Vec::Reg acc) { return Vec::fmadd(x, w, acc); }
};
struct Bf16PairSteps {
  using Weight = std::uint16_t;
  using X = std::uint32_t;
  using Weights = Vec::Bf16Pairs;
  using Xs = Vec::Bf16Pairs;
  static constexpr std::size_t kValues = 2;
  // Decode's read-ahead: a prefetch 1 KB on and no page touch, as the bf16 tile kernel found
  // on the Zen 4 guests (StreamAhead's distances left the bf16 stream a quarter slower there).
  static constexpr std::size_t kAheadBytes = 1024;
  static constexpr bool kTouches = false;
  static Weights load(const std::uint16_t* b) { return Vec::load_bf16_pairs(b); }
  static Xs broadcast(std::uint32_t pair) { return Vec::set1_bf16_pair(pair); }
  /// Step s of a row of x (K bf16 values): values 2s and 2s + 1, zero past K.
  static std::uint32_t x_at(const std::uint16_t* x, std::size_t s, std::size_t K) {
    if (2 * s + 1 >= K) return x[2 * s];
    std::uint32_t pair;  // little-endian: the first value in the low half
    std::memcpy(&pair, x + 2 * s, sizeof pair);
    return pair;
  }
  static Vec::Reg madd(Xs x, Weights w, Vec::Reg acc) { return Vec::dot_bf16_pairs(acc, w, x); }
};

/// y (P, cols) (+)= the P rows of a tile from `a` (row p of step s at a[s * stride + p]) times
/// steps [s_begin, s_end) of the panel b; from s_begin > 0 on the partial sums y holds. Each
/// output is one chain of multiply-adds over k from 0 (a partial sum kept in y is the same
/// f32): the same sums whatever the block's size.
template <std::size_t P, typename Steps>
inline void panel_pass(const typename Steps::X* a, std::size_t stride,
                       const typename Steps::Weight* b, std::size_t k_begin, std::size_t k_end,
                       float* y, std::size_t ldy, std::size_t cols, PanelPrefetch& prefetch) {
  constexpr std::size_t W = Vec::kWidth, V = Steps::kValues;
  Vec::Reg acc[P][kPanelVecs];
  start_panel_sums(acc, k_begin > 0, y, ldy, cols);
  for (std::size_t k0 = k_begin; k0 < k_end; k0 += kPrefetchSteps) {
    for (std::size_t i = 0; i < prefetch.lines && prefetch.next < prefetch.end; ++i) {
      Vec::prefetch(prefetch.next);
      prefetch.next += 64;
    }
    const std::size_t steps_end = k_end - k0 < kPrefetchSteps ? k_end : k0 + kPrefetchSteps;
    // Unrolled: the loop's own instructions would otherwise take a third of the issue slots.
#pragma GCC unroll 8
    for (std::size_t k = k0; k < steps_end; ++k) {
      typename Steps::Weights bk[kPanelVecs];
      for (std::size_t v = 0; v < kPanelVecs; ++v)
        bk[v] = Steps::load(b + (k * kPanelWidth + v * W) * V);
      for (std::size_t p = 0; p < P; ++p) {
        const typename Steps::Xs ak = Steps::broadcast(a[k * stride + p]);
        for (std::size_t v = 0; v < kPanelVecs; ++v) acc[p][v] = Steps::madd(ak, bk[v], acc[p][v]);
      }
    }
  }
  store_panel_sums(acc, y, ldy, cols);
}

/// panel_pass with P = the rows left (<= PMax) as a compile-time count.
template <std::size_t PMax, typename Steps>
inline void panel_pass_n(std::size_t rows, const typename Steps::X* a, std::size_t stride,
                         const typename Steps::Weight* b, std::size_t k_begin, std::size_t k_end,
                         float* y, std::size_t ldy, std::size_t cols, PanelPrefetch& prefetch) {
  if constexpr (PMax > 1) {
    if (rows < PMax)
      return panel_pass_n<PMax - 1, Steps>(rows, a, stride, b, k_begin, k_end, y, ldy, cols,
                                           prefetch);
  }
  panel_pass<PMax, Steps>(a, stride, b, k_begin, k_end, y, ldy, cols, prefetch);
}

/// The next_bytes from `next` (null: none) spread over `chunks` chunks of a call's steps.
inline PanelPrefetch spread_prefetch(const void* next, std::size_t next_bytes, std::size_t chunks) {
  const std::size_t lines = next ? (next_bytes + 63) / 64 : 0;
  const char* first = static_cast<const char*>(next);
  return {first, first + lines * 64, chunks ? (lines + chunks - 1) / chunks : 0};
}

/// Steps: ValueSteps<float>, ValueSteps<std::uint16_t> (f16) or Bf16PairSteps; k_begin and
/// k_end values of k (k_begin a whole step), x_tiles the steps of x (ceil(K / kValues) per row).
template <typename Steps>
inline void gemm_panel(const typename Steps::X* x_tiles, std::size_t M, std::size_t K,
                       std::size_t k_begin, std::size_t k_end, const typename Steps::Weight* panel,
                       const void* next, std::size_t next_bytes, float* y, std::size_t ldy,
                       std::size_t cols) {
  constexpr std::size_t V = Steps::kValues;
  const std::size_t steps = (K + V - 1) / V, s_begin = k_begin / V, s_end = (k_end + V - 1) / V;
  const std::size_t tiles = (M + kPanelTileRows - 1) / kPanelTileRows;
  PanelPrefetch prefetch = spread_prefetch(
      next, next_bytes, tiles * ((s_end - s_begin + kPrefetchSteps - 1) / kPrefetchSteps));
  for (std::size_t t = 0; t < tiles; ++t) {
    const std::size_t m = t * kPanelTileRows;
    const std::size_t rows = M - m < kPanelTileRows ? M - m : kPanelTileRows;
    const typename Steps::X* a = x_tiles + m * steps;
    for (std::size_t p = 0; p < rows; p += kPanelPassRows) {
      const std::size_t n = rows - p < kPanelPassRows ? rows - p : kPanelPassRows;
      panel_pass_n<kPanelPassRows, Steps>(n, a + p, rows, panel, s_begin, s_end, y + (m + p) * ldy,
                                          ldy, cols, prefetch);
    }
  }
}

// Decode on panels (the layout a load gives f32 and f16 weights, ops/formats/value_panels.hpp):
// up to kDecodeRows rows of x share one pass over a panel, so a batch reads each weight from
// memory once and does all its rows' multiply-adds while the next lines arrive. Each output is
// one chain of multiply-adds over k: the same sums whatever M. One row's chain waits on its own
// latency, but the weights come from memory slower still.
constexpr std::size_t kDecodeRows = kPanelPassRows < 8 ? kPanelPassRows : 8;

/// y (C, cols) = C rows of x (x (C, K), rows ldx apart) times one panel (K, kPanelWidth); the
/// first pass over a panel (`ReadsAhead`) reads ahead of the call's stream of panels (which ends
/// at `end`) as Steps says (for f32 and f16 StreamAhead's: a prefetch per cache line, and for one
/// row a touch per 4 KB page: with more rows a page carries more arithmetic than the reorder
/// window holds while the touch misses); the later passes find the panel in cache, and their
/// prefetches would only take issue slots from the multiply-adds.
template <std::size_t C, bool ReadsAhead, typename Steps, typename XRow>
inline void decode_panel_pass(const typename Steps::Weight* panel, const XRow* x, std::size_t ldx,
                              std::size_t K, float* y, std::size_t ldy, std::size_t cols,
                              const std::uint8_t* end) {
  constexpr std::size_t W = Vec::kWidth, V = Steps::kValues;
  constexpr std::size_t kStepBytes = kPanelWidth * V * sizeof(typename Steps::Weight);
  const std::size_t steps = (K + V - 1) / V;
  Vec::Reg acc[C][kPanelVecs];
  for (auto& row : acc)
    for (auto& a : row) a = Vec::zero();
#pragma GCC unroll 4
  for (std::size_t k = 0; k < steps; ++k) {
    const typename Steps::Weight* b = panel + k * kPanelWidth * V;
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(b);
    if constexpr (ReadsAhead) {
      if (Steps::kTouches && C == 1 &&
          reinterpret_cast<std::uintptr_t>(bytes) % 4096 < kStepBytes &&
          static_cast<std::size_t>(end - bytes) > StreamAhead::kTouchAheadBytes)
        touch(bytes + StreamAhead::kTouchAheadBytes);
      for (std::size_t line = 0; line < kStepBytes; line += 64)
        Vec::prefetch(bytes + line + Steps::kAheadBytes);
    }
    typename Steps::Weights bk[kPanelVecs];
    for (std::size_t v = 0; v < kPanelVecs; ++v) bk[v] = Steps::load(b + v * W * V);
    for (std::size_t c = 0; c < C; ++c) {
      const typename Steps::Xs xk = Steps::broadcast(Steps::x_at(x + c * ldx, k, K));
      for (std::size_t v = 0; v < kPanelVecs; ++v) acc[c][v] = Steps::madd(xk, bk[v], acc[c][v]);
    }
  }
  store_panel_sums(acc, y, ldy, cols);
}

/// decode_panel_pass with C = the rows left (<= CMax) as a compile-time count.
template <std::size_t CMax, bool ReadsAhead, typename Steps, typename XRow>
inline void decode_panel_pass_n(std::size_t rows, const typename Steps::Weight* panel,
                                const XRow* x, std::size_t ldx, std::size_t K, float* y,
                                std::size_t ldy, std::size_t cols, const std::uint8_t* end) {
  if constexpr (CMax > 1) {
    if (rows < CMax)
      return decode_panel_pass_n<CMax - 1, ReadsAhead, Steps>(rows, panel, x, ldx, K, y, ldy, cols,
                                                              end);
  }
  decode_panel_pass<CMax, ReadsAhead, Steps>(panel, x, ldx, K, y, ldy, cols, end);
}

/// y[m * ldy + r] = feature r of the panels at w (rows features, kPanelWidth per panel, the
/// steps of K each, one after another) times row m of x (M, K), for r < rows, m < M. XRow: f32
/// x for ValueSteps, bf16 x (as to_bf16 rounds it) for Bf16PairSteps.
template <typename Steps, typename XRow>
inline void gemm_decode_panels(const typename Steps::Weight* w, const XRow* x, float* y,
                               std::size_t rows, std::size_t K, std::size_t M, std::size_t ldy) {
  const std::size_t panels = (rows + kPanelWidth - 1) / kPanelWidth;
  const std::size_t panel_values =
      (K + Steps::kValues - 1) / Steps::kValues * Steps::kValues * kPanelWidth;
  const auto* end = reinterpret_cast<const std::uint8_t*>(w + panels * panel_values);
  StreamAhead::touch_first_pages(w, panels * panel_values * sizeof(*w));
  for (std::size_t p = 0; p < panels; ++p) {
    const typename Steps::Weight* panel = w + p * panel_values;
    const std::size_t cols =
        rows - p * kPanelWidth < kPanelWidth ? rows - p * kPanelWidth : kPanelWidth;
    for (std::size_t m = 0; m < M; m += kDecodeRows) {
      const std::size_t n = M - m < kDecodeRows ? M - m : kDecodeRows;
      float* ym = y + m * ldy + p * kPanelWidth;
      if (m == 0)
        decode_panel_pass_n<kDecodeRows, true, Steps>(n, panel, x, K, K, ym, ldy, cols, end);
      else
        decode_panel_pass_n<kDecodeRows, false, Steps>(n, panel, x + m * K, K, K, ym, ldy, cols,
                                                       end);
    }
  }
}

// Q8_0 panels (ops/panel_layout.hpp): rows per pass, as many as keep a block's integer sums, the
// f32 sums and the panel's step in registers (AVX-512: 6; AVX2 and scalar: 1).
constexpr std::size_t kQ8PanelPassRows = Vec::kRegisters > 8 * static_cast<int>(kPanelVecs)
                                             ? (Vec::kRegisters - 4 * kPanelVecs) / (2 * kPanelVecs)
                                             : 1;

/// y (P, cols) (+)= rows [p0, p0 + P) of a Q8 tile of n rows (ops/panel_layout.hpp) times blocks
/// [b_begin, b_end) of a Q8_0 panel; from b_begin > 0 on the partial sums y holds. Per block an
/// exact integer sum (from -128 times the row's block sum: the panel holds quant + 128), then
/// one f32 multiply-add by the product of the row's and the feature's scales: the same sums
/// whatever M and the passes.
template <std::size_t P>
inline void q8_panel_pass(const std::uint8_t* tile, std::size_t n, std::size_t p0,
                          const std::uint8_t* panel, std::size_t b_begin, std::size_t b_end,
                          float* y, std::size_t ldy, std::size_t cols, PanelPrefetch& prefetch) {
  constexpr std::size_t W = Vec::kWidth;
  Vec::Reg acc[P][kPanelVecs];
  start_panel_sums(acc, b_begin > 0, y, ldy, cols);
  for (std::size_t b = b_begin; b < b_end; ++b) {
    for (std::size_t i = 0; i < prefetch.lines && prefetch.next < prefetch.end; ++i) {
      Vec::prefetch(prefetch.next);
      prefetch.next += 64;
    }
    const std::uint8_t* x = tile + b * n * kQ8TileRowBlockBytes;
    const std::int32_t* quads = reinterpret_cast<const std::int32_t*>(x) + p0;
    const std::int32_t* starts = reinterpret_cast<const std::int32_t*>(x) + kQ8PanelSteps * n + p0;
    const float* x_scales = reinterpret_cast<const float*>(x) + (kQ8PanelSteps + 1) * n + p0;
    const std::uint8_t* w = panel + b * kQ8PanelBlockBytes;
    Vec::I32 sums[P][kPanelVecs];
    for (std::size_t p = 0; p < P; ++p)
      for (std::size_t v = 0; v < kPanelVecs; ++v) sums[p][v] = Vec::i32_set1(starts[p]);
#pragma GCC unroll 8
    for (std::size_t s = 0; s < kQ8PanelSteps; ++s) {
      Vec::I32 ws[kPanelVecs];
      for (std::size_t v = 0; v < kPanelVecs; ++v)
        ws[v] = Vec::i32_load(w + kQ8PanelScaleBytes + s * kQ8PanelStepBytes + v * 4 * W);
      for (std::size_t p = 0; p < P; ++p)
        for (std::size_t v = 0; v < kPanelVecs; ++v)
          sums[p][v] = Vec::dot_u8x4(sums[p][v], ws[v], quads[s * n + p]);
    }
    const auto* w_scales = reinterpret_cast<const std::uint16_t*>(w);
    Vec::Reg scales[kPanelVecs];
    for (std::size_t v = 0; v < kPanelVecs; ++v) scales[v] = Vec::load_f16(w_scales + v * W);
    for (std::size_t p = 0; p < P; ++p) {
      const Vec::Reg xd = Vec::set1(x_scales[p]);
      for (std::size_t v = 0; v < kPanelVecs; ++v)
        acc[p][v] = Vec::fmadd(Vec::i32_to_f32(sums[p][v]), Vec::mul(scales[v], xd), acc[p][v]);
    }
  }
  store_panel_sums(acc, y, ldy, cols);
}

/// q8_panel_pass with P = the rows left (<= PMax) as a compile-time count.
template <std::size_t PMax>
inline void q8_panel_pass_n(std::size_t rows, const std::uint8_t* tile, std::size_t n,
                            std::size_t p0, const std::uint8_t* panel, std::size_t b_begin,
                            std::size_t b_end, float* y, std::size_t ldy, std::size_t cols,
                            PanelPrefetch& prefetch) {
  if constexpr (PMax > 1) {
    if (rows < PMax)
      return q8_panel_pass_n<PMax - 1>(rows, tile, n, p0, panel, b_begin, b_end, y, ldy, cols,
                                       prefetch);
  }
  q8_panel_pass<PMax>(tile, n, p0, panel, b_begin, b_end, y, ldy, cols, prefetch);
}

inline void gemm_q8_panel(const std::uint8_t* x_tiles, std::size_t M, std::size_t K,
                          std::size_t k_begin, std::size_t k_end, const std::uint8_t* panel,
                          const void* next, std::size_t next_bytes, float* y, std::size_t ldy,
                          std::size_t cols) {
  const std::size_t tiles = (M + kPanelTileRows - 1) / kPanelTileRows, blocks = K / kQ8Block;
  const std::size_t b_begin = k_begin / kQ8Block, b_end = k_end / kQ8Block;
  // Passes of up to kQ8PanelPassRows rows over each tile's (12, or the last tile's) rows.
  const auto passes = [](std::size_t rows) {
    return (rows + kQ8PanelPassRows - 1) / kQ8PanelPassRows;
  };
  const std::size_t all_passes =
      M / kPanelTileRows * passes(kPanelTileRows) + passes(M % kPanelTileRows);
  PanelPrefetch prefetch = spread_prefetch(next, next_bytes, all_passes * (b_end - b_begin));
  for (std::size_t t = 0; t < tiles; ++t) {
    const std::size_t m = t * kPanelTileRows;
    const std::size_t rows = M - m < kPanelTileRows ? M - m : kPanelTileRows;
    const std::uint8_t* tile = x_tiles + m * blocks * kQ8TileRowBlockBytes;
    for (std::size_t p = 0; p < rows; p += kQ8PanelPassRows) {
      const std::size_t n = rows - p < kQ8PanelPassRows ? rows - p : kQ8PanelPassRows;
      q8_panel_pass_n<kQ8PanelPassRows>(n, tile, rows, p, panel, b_begin, b_end, y + (m + p) * ldy,
                                        ldy, cols, prefetch);
    }
  }
}
