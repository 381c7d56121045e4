#include "ops/panel_matmul.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/error.hpp"
#include "ops/half.hpp"
#include "ops/panel_layout.hpp"
#include "ops/tile_layout.hpp"
#include "ops/weight_format.hpp"

namespace engine {

namespace {

// Rows of the block per pass: 16 tiles, whose steps of one k pass (<= 192 x 1024 floats) stay in
// L2 while the panels stream past them.
constexpr std::size_t kBlockRows = 16 * kPanelTileRows;
// Steps of k per pass when K is above twice as many (an FFN's down projection): the passes
// keep the tiles' share in L2 (one pass over all of a long k ran behind oneDNN).
constexpr std::size_t kStepsPerPass = 512;

// Tile t of x (M, K): rows [12t, 12t + n) as (K, n), step k's n values side by side.
void pack_tile(const float* x, std::size_t K, std::size_t M, std::size_t t, float* tiles) {
  const std::size_t m = t * kPanelTileRows, n = std::min(kPanelTileRows, M - m);
  float* out = tiles + m * K;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < K; ++k) out[k * n + r] = x[(m + r) * K + k];
}

// Tile t of x (M, K) rounded to bf16 (as to_bf16 rounds) in pairs of k: (ceil(K / 2), n), step
// s's n words side by side, value 2s in the low half (a last odd k pairs with a zero).
void pack_bf16_tile(const float* x, std::size_t K, std::size_t M, std::size_t t,
                    std::uint32_t* tiles) {
  const std::size_t m = t * kPanelTileRows, n = std::min(kPanelTileRows, M - m);
  const std::size_t steps = (K + 1) / 2;
  std::uint32_t* out = tiles + m * steps;
  for (std::size_t r = 0; r < n; ++r) {
    const float* row = x + (m + r) * K;
    for (std::size_t s = 0; s < steps; ++s) {
      const std::uint32_t second = 2 * s + 1 < K ? f32_to_bf16(row[2 * s + 1]) : 0;
      out[s * n + r] = f32_to_bf16(row[2 * s]) | second << 16;
    }
  }
}

// Q8 tile t of the block as quantize_q8 left it (xq (M, K), xd (M, K / 32)), see
// ops/panel_layout.hpp: per block of k, each step's 4 int8 of the tile's rows side by side, then
// the rows' integer sum starts (-128 times the block's sum), then their scales.
void pack_q8_tile(const std::int8_t* xq, const float* xd, std::size_t K, std::size_t M,
                  std::size_t t, std::uint8_t* tiles) {
  const std::size_t m = t * kPanelTileRows, n = std::min(kPanelTileRows, M - m);
  const std::size_t blocks = K / kQ8Block;
  for (std::size_t b = 0; b < blocks; ++b) {
    std::uint8_t* out = tiles + (m * blocks + b * n) * kQ8TileRowBlockBytes;
    for (std::size_t r = 0; r < n; ++r) {
      const std::int8_t* q = xq + (m + r) * K + b * kQ8Block;
      std::int32_t sum = 0;
      for (std::size_t i = 0; i < kQ8Block; ++i) sum += q[i];
      for (std::size_t s = 0; s < kQ8PanelSteps; ++s)
        std::memcpy(out + (s * n + r) * 4, q + 4 * s, 4);
      const std::int32_t start = -128 * sum;
      std::memcpy(out + (kQ8PanelSteps * n + r) * 4, &start, 4);
      std::memcpy(out + ((kQ8PanelSteps + 1) * n + r) * 4, xd + (m + r) * blocks + b, 4);
    }
  }
}

}  // namespace

bool prefers_panels(DType type, Isa isa) {
  const WeightFormat& f = weight_format(type);
  return f.pack_panels && isa >= f.panel_isa;
}

std::size_t panel_bytes(const Matrix& w) {
  const WeightFormat& f = weight_format(w.dtype);
  return w.rows == 0 || !f.panel_bytes ? 0 : f.panel_bytes(w);
}

const void* pack_panels(const Matrix& w, std::uint8_t* out) {
  return weight_format(w.dtype).pack_panels(w, out);
}

void panel_matmul(const kernels::KernelTable& k, PanelScratch& scratch, const float* x,
                  std::initializer_list<Product> products, int M) {
  constexpr std::size_t kMaxProducts = 4;
  if (products.size() == 0 || products.size() > kMaxProducts)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("panel_matmul: {} products of one block (1..4)", products.size()));
  const DType dtype = products.begin()->w.dtype;
  const WeightFormat& format = weight_format(dtype);
  // The panels' kind: the format's decode activations (Q8 blocks or f32); f32 ones hold the
  // format's own values, f32 or f16 (widened by the kernel).
  const bool q8 = format.activations == ActivationType::q8;
  const bool bf16 = format.activations == ActivationType::bf16;
  const bool f16 = !q8 && !bf16 && format.block_bytes == sizeof(std::uint16_t);
  const std::size_t K = products.begin()->w.cols, rows = M;
  // Bytes per value of k in a panel and in a row of the block's tiles.
  const std::size_t panel_k_bytes =
      q8 ? kQ8PanelBlockBytes / kQ8Block : kPanelWidth * format.block_bytes;
  const std::size_t panel = (bf16 ? (K + 1) / 2 * 2 : K) * panel_k_bytes;
  const std::size_t row_bytes = q8 ? K / kQ8Block * kQ8TileRowBlockBytes : K * sizeof(float);
  const std::size_t tiles = (rows + kPanelTileRows - 1) / kPanelTileRows;
  // The products' panels as one list of items: product i owns [first[i], first[i + 1]).
  const Product* product[kMaxProducts];
  std::size_t first[kMaxProducts + 1] = {0};
  std::size_t n = 0;
  for (const Product& p : products) {
    if (!p.w.panels || static_cast<std::size_t>(p.w.cols) != K || p.w.dtype != dtype)
      throw Error(ErrorCode::invalid_argument,
                  "panel_matmul: every product needs panels, the block's width and one type");
    product[n] = &p;
    first[n + 1] = first[n] + (p.w.rows + kPanelWidth - 1) / kPanelWidth;
    ++n;
  }
  const auto panel_of = [&](std::size_t item, std::size_t& i) {
    while (item >= first[i + 1]) ++i;
    return static_cast<const std::uint8_t*>(product[i]->w.panels) + (item - first[i]) * panel;
  };
  // The block's rows in tiles (the kernel's layout), sized here: an allocation failure inside
  // the parallel region would terminate instead of throwing.
  if (q8) {
    if (scratch.xq.size() < rows * K) {
      scratch.xq.resize(rows * K);
      scratch.xd.resize(rows * K / kQ8Block);
    }
    if (scratch.q8_tiles.size() < rows * row_bytes) scratch.q8_tiles.resize(rows * row_bytes);
  } else if (scratch.tiles.size() < rows * K) {
    scratch.tiles.resize(rows * K);
  }
  std::int8_t* const xq = scratch.xq.data();
  float* const xd = scratch.xd.data();
  std::uint8_t* const x_tiles =
      q8 ? scratch.q8_tiles.data() : reinterpret_cast<std::uint8_t*>(scratch.tiles.data());
  // Passes over the block: rows in blocks of kBlockRows, k in blocks of kc (the tiles of a pass
  // stay in L2). Every thread keeps its panels (its columns of y) in every pass: no barrier.
  const std::size_t kc = K > 2 * kStepsPerPass ? kStepsPerPass : K;
  const std::size_t k_passes = (K + kc - 1) / kc, row_passes = (rows + kBlockRows - 1) / kBlockRows;
#pragma omp parallel
  {
    const std::size_t thread = omp_get_thread_num(), threads = omp_get_num_threads();
    for (std::size_t t = tiles * thread / threads; t < tiles * (thread + 1) / threads; ++t) {
      if (q8) {
        const std::size_t m = t * kPanelTileRows, count = std::min(kPanelTileRows, rows - m);
        k.quantize_q8(x + m * K, xq + m * K, xd + m * K / kQ8Block, count * K);
        pack_q8_tile(xq, xd, K, rows, t, x_tiles);
      } else if (bf16) {
        pack_bf16_tile(x, K, rows, t, reinterpret_cast<std::uint32_t*>(x_tiles));
      } else {
        pack_tile(x, K, rows, t, reinterpret_cast<float*>(x_tiles));
      }
    }
#pragma omp barrier
    // The thread's work in order: (row pass, k pass, item); each prefetches the next one's
    // weights, across the products' boundaries and passes too.
    const std::size_t begin = first[n] * thread / threads, end = first[n] * (thread + 1) / threads;
    const std::size_t items = end - begin, steps = row_passes * k_passes * items;
    std::size_t i = 0;
    for (std::size_t s = 0; s < steps; ++s) {
      const std::size_t item = begin + s % items, k0 = s / items % k_passes * kc;
      const std::size_t m0 = s / (items * k_passes) * kBlockRows;
      const std::uint8_t* next = nullptr;
      std::size_t next_bytes = 0;
      if (s + 1 < steps) {
        std::size_t next_i = 0;
        const std::size_t next_k0 = (s + 1) / items % k_passes * kc;
        next = panel_of(begin + (s + 1) % items, next_i) + next_k0 * panel_k_bytes;
        next_bytes = std::min(kc, K - next_k0) * panel_k_bytes;
      }
      if (s % items == 0) i = 0;
      const std::uint8_t* const current = panel_of(item, i);
      const std::size_t p = item - first[i], N = product[i]->w.rows;
      const std::size_t block = std::min(kBlockRows, rows - m0), k1 = std::min(K, k0 + kc);
      float* const y = product[i]->y + m0 * N + p * kPanelWidth;
      const std::size_t cols = std::min(kPanelWidth, N - p * kPanelWidth);
      if (q8)
        k.gemm_q8_panel(x_tiles + m0 * row_bytes, block, K, k0, k1, current, next, next_bytes, y, N,
                        cols);
      else if (bf16)
        k.gemm_bf16_panel(reinterpret_cast<const std::uint32_t*>(x_tiles) + m0 * ((K + 1) / 2),
                          block, K, k0, k1, reinterpret_cast<const std::uint16_t*>(current), next,
                          next_bytes, y, N, cols);
      else if (f16)
        k.gemm_f16_panel(reinterpret_cast<const float*>(x_tiles + m0 * row_bytes), block, K, k0, k1,
                         reinterpret_cast<const std::uint16_t*>(current), next, next_bytes, y, N,
                         cols);
      else
        k.gemm_panel(reinterpret_cast<const float*>(x_tiles + m0 * row_bytes), block, K, k0, k1,
                     reinterpret_cast<const float*>(current), next, next_bytes, y, N, cols);
    }
  }
}

}  // namespace engine
