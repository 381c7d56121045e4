#include "ops/panel_matmul.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "engine/error.hpp"
#include "ops/panel_layout.hpp"
#include "ops/tile_layout.hpp"

namespace engine {

namespace {

// Rows of the block per pass: 16 tiles, whose steps of one k pass (<= 192 x 1024 floats) stay in
// L2 while the panels stream past them.
constexpr std::size_t kBlockRows = 16 * kPanelTileRows;
// Steps of k per pass when K is above twice as many (an FFN's down projection): the passes
// keep the tiles' share in L2 (measured: 128 rows by 2048 -> 768, 1388 -> 1327 us; by
// 5632 -> 2048, 11.1 -> 8.8 ms, where one pass over all of k ran 12 % behind oneDNN).
constexpr std::size_t kStepsPerPass = 512;

// The block's rows in tiles (the kernel's layout), per calling thread and only ever grown.
thread_local std::vector<float> t_tiles;

// Tile t of x (M, K): rows [12t, 12t + n) as (K, n), step k's n values side by side.
void pack_tile(const float* x, std::size_t K, std::size_t M, std::size_t t, float* tiles) {
  const std::size_t m = t * kPanelTileRows, n = std::min(kPanelTileRows, M - m);
  float* out = tiles + m * K;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < K; ++k) out[k * n + r] = x[(m + r) * K + k];
}

}  // namespace

bool prefers_panels(Isa isa) {
  return isa == Isa::avx512 || isa == Isa::avx512_vnni_bf16;
}

std::size_t panel_bytes(const Matrix& w) {
  if (w.dtype != DType::f32 || w.rows == 0) return 0;
  const std::size_t count = (static_cast<std::size_t>(w.rows) + kPanelWidth - 1) / kPanelWidth;
  return count * w.cols * kPanelWidth * sizeof(float);
}

const float* pack_panels(const Matrix& w, std::uint8_t* out) {
  const std::size_t K = w.cols, N = w.rows, panel = K * kPanelWidth;
  float* const panels = reinterpret_cast<float*>(out);
  const float* const in = static_cast<const float*>(w.data);
  const std::size_t groups = tile_groups<float>(K);
  // Row by row: each weight row is read in order (out of its tiles), its panel (cols x 128 bytes)
  // stays in cache.
#pragma omp parallel for schedule(static)
  for (std::size_t n = 0; n < N; ++n) {
    float* const column = panels + n / kPanelWidth * panel + n % kPanelWidth;
    for (std::size_t k = 0; k < K; k += kGroupValues<float>) {
      const float* const group = in + tile_offset<float>(groups, n, k);
      for (std::size_t j = 0; j < std::min(kGroupValues<float>, K - k); ++j)
        column[(k + j) * kPanelWidth] = group[j];
    }
  }
  return panels;
}

void panel_matmul(const kernels::KernelTable& k, const float* x,
                  std::initializer_list<Product> products, int M) {
  constexpr std::size_t kMaxProducts = 4;
  if (products.size() == 0 || products.size() > kMaxProducts)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("panel_matmul: {} products of one block (1..4)", products.size()));
  const std::size_t K = products.begin()->w.cols, rows = M, panel = K * kPanelWidth;
  const std::size_t tiles = (rows + kPanelTileRows - 1) / kPanelTileRows;
  // The products' panels as one list of items: product i owns [first[i], first[i + 1]).
  const Product* product[kMaxProducts];
  std::size_t first[kMaxProducts + 1] = {0};
  std::size_t n = 0;
  for (const Product& p : products) {
    if (!p.w.panels || static_cast<std::size_t>(p.w.cols) != K)
      throw Error(ErrorCode::invalid_argument,
                  "panel_matmul: every product needs panels and the block's width");
    product[n] = &p;
    first[n + 1] = first[n] + (p.w.rows + kPanelWidth - 1) / kPanelWidth;
    ++n;
  }
  const auto panel_of = [&](std::size_t item, std::size_t& i) {
    while (item >= first[i + 1]) ++i;
    return product[i]->w.panels + (item - first[i]) * panel;
  };
  if (t_tiles.size() < rows * K) t_tiles.resize(rows * K);
  // The thread-local scratch is the caller's: take it here, not inside the parallel region.
  float* const x_tiles = t_tiles.data();
  // Passes over the block: rows in blocks of kBlockRows, k in blocks of kc (the tiles of a pass
  // stay in L2). Every thread keeps its panels (its columns of y) in every pass: no barrier.
  const std::size_t kc = K > 2 * kStepsPerPass ? kStepsPerPass : K;
  const std::size_t k_passes = (K + kc - 1) / kc, row_passes = (rows + kBlockRows - 1) / kBlockRows;
#pragma omp parallel
  {
    const std::size_t thread = omp_get_thread_num(), threads = omp_get_num_threads();
    for (std::size_t t = tiles * thread / threads; t < tiles * (thread + 1) / threads; ++t)
      pack_tile(x, K, rows, t, x_tiles);
#pragma omp barrier
    // The thread's work in order: (row pass, k pass, item); each prefetches the next one's
    // weights, across the products' boundaries and passes too.
    const std::size_t begin = first[n] * thread / threads, end = first[n] * (thread + 1) / threads;
    const std::size_t items = end - begin, steps = row_passes * k_passes * items;
    std::size_t i = 0;
    for (std::size_t s = 0; s < steps; ++s) {
      const std::size_t item = begin + s % items, k0 = s / items % k_passes * kc;
      const std::size_t m0 = s / (items * k_passes) * kBlockRows;
      const float* next = nullptr;
      std::size_t next_bytes = 0;
      if (s + 1 < steps) {
        std::size_t next_i = 0;
        const std::size_t next_k0 = (s + 1) / items % k_passes * kc;
        next = panel_of(begin + (s + 1) % items, next_i) + next_k0 * kPanelWidth;
        next_bytes = std::min(kc, K - next_k0) * kPanelWidth * sizeof(float);
      }
      if (s % items == 0) i = 0;
      const float* const current = panel_of(item, i);
      const std::size_t p = item - first[i], N = product[i]->w.rows;
      k.gemm_panel(x_tiles + m0 * K, std::min(kBlockRows, rows - m0), K, k0, std::min(K, k0 + kc),
                   current, next, next_bytes, product[i]->y + m0 * N + p * kPanelWidth, N,
                   std::min(kPanelWidth, N - p * kPanelWidth));
    }
  }
}

}  // namespace engine
