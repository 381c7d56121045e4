// The ggml block types (Q4_0 ... Q6_K). Each loads into panels of 16 rows (block_panels.hpp)
// for its kernels, which take x quantised per 32 values as Q8_0's do (integer sums, scales once
// per sub-block), in decode and in prompt blocks alike: one copy of the weights, never expanded.
// Rows come back as f32 block by block (ggml_blocks.hpp) for embeddings. Each can also be
// converted to from f32 (ggml_blocks.hpp's searching encoders), at load or by engine convert.
#include <algorithm>
#include <cstring>
#include <vector>

#include "ops/formats/block_panels.hpp"
#include "ops/formats/formats.hpp"
#include "ops/formats/ggml_blocks.hpp"
#include "ops/kernels/kernel_table.hpp"

namespace engine::formats {
namespace {

/// Bytes of a file row of `cols` values in Block's blocks.
template <typename Block>
std::size_t row_bytes(std::size_t cols) {
  return cols / Block::kValues * Block::kBytes;
}

/// Copies a unit of 1, 2 or 4 bytes (fixed-size copies: a load moves every byte of its panels so).
inline void copy_unit(std::uint8_t* to, const std::uint8_t* from, std::size_t unit) {
  if (unit == 4)
    std::memcpy(to, from, 4);
  else if (unit == 2)
    std::memcpy(to, from, 2);
  else
    *to = *from;
}

// A block type in panels of 16 rows (block_panels.hpp) for its kernels on x quantised per 32
// values; read back to file blocks for everything else.
template <typename Block, typename Layout>
struct BlockPanels {
  static_assert(Layout::kBytes == Block::kBytes);
  static constexpr std::size_t kRows = kBlockPanelRows;
  static std::size_t panel_bytes(std::size_t cols) { return kRows * row_bytes<Block>(cols); }

  static std::size_t loaded_bytes(std::size_t rows, std::size_t cols) {
    return (rows + kRows - 1) / kRows * panel_bytes(cols);
  }

  static void store_rows(const std::uint8_t* file_rows, std::size_t first, std::size_t count,
                         std::size_t, std::size_t cols, std::uint8_t* loaded) {
    for (std::size_t r = first; r < first + count; ++r, file_rows += row_bytes<Block>(cols))
      each_unit(loaded, r, cols, [&](std::size_t in, std::uint8_t* out, std::size_t unit) {
        copy_unit(out, file_rows + in, unit);
      });
  }

  static void quantize_row(const float* in, std::uint8_t* out, std::size_t n) {
    for (std::size_t b = 0; b < n / Block::kValues; ++b)
      Block::encode(in + b * Block::kValues, out + b * Block::kBytes);
  }

  static void load_rows(const Matrix& w, std::size_t first, std::size_t count, float* out) {
    const std::size_t K = w.cols, blocks = K / Block::kValues;
    std::vector<std::uint8_t> row(row_bytes<Block>(K));
    const auto* loaded = static_cast<const std::uint8_t*>(w.data);
    for (std::size_t r = first; r < first + count; ++r, out += K) {
      each_unit(loaded, r, K, [&](std::size_t in, const std::uint8_t* at, std::size_t unit) {
        copy_unit(row.data() + in, at, unit);
      });
      for (std::size_t b = 0; b < blocks; ++b)
        Block::decode(row.data() + b * Block::kBytes, out + b * Block::kValues);
    }
  }

  /// f(byte of row r's file row, its place in the panels at `loaded`, bytes) for each unit of
  /// the row (block_panels.hpp).
  template <typename Byte, typename F>
  static void each_unit(Byte* loaded, std::size_t r, std::size_t cols, const F& f) {
    Byte* panel = loaded + r / kRows * panel_bytes(cols);
    for (std::size_t b = 0; b < cols / Block::kValues; ++b, panel += kRows * Block::kBytes)
      for (const PanelRun& run : Layout::kRuns) {
        Byte* at = panel + kRows * run.first + r % kRows * run.unit;
        for (std::size_t i = run.first; i < run.first + run.bytes; i += run.unit)
          f(b * Block::kBytes + i, at + (i - run.first) * kRows, run.unit);
      }
  }
};

// The kernel table's decode kernel for a panel format.
using GemmPanels = kernels::KernelTable::QuantPanelGemm* kernels::KernelTable::*;

template <typename Block, typename Layout, GemmPanels kernel>
void gemm_panel_rows(const kernels::KernelTable& k, const Matrix& w, std::size_t row,
                     std::size_t rows, const Activations& x, float* y, std::size_t M) {
  const auto* first = static_cast<const std::uint8_t*>(w.data) +
                      row / kBlockPanelRows * BlockPanels<Block, Layout>::panel_bytes(w.cols);
  (k.*kernel)(first, x.q8, x.q8_scales, x.q8_sums16, x.q8_dsums32, y + row, rows, w.cols, M,
              w.rows);
}

template <typename Block, typename Layout, GemmPanels kernel>
constexpr WeightFormat panel_format(DType dtype, std::string_view name) {
  using Panels = BlockPanels<Block, Layout>;
  return {
      .dtype = dtype,
      .name = name,
      .ggml_type = Block::kGgmlType,
      .block_values = Block::kValues,
      .block_bytes = Block::kBytes,
      .activations = ActivationType::q8,
      .loaded_bytes = Panels::loaded_bytes,
      .store_rows = Panels::store_rows,
      .quantize_row = Panels::quantize_row,
      .load_rows = Panels::load_rows,
      .gemm_rows = gemm_panel_rows<Block, Layout, kernel>,
      .panel_isa = Isa::scalar,
      .panel_bytes = nullptr,
      .pack_panels = nullptr,
      .onednn_bf16 = false,
      .onednn_packs = false,
      .blocks_on_rows = true,
  };
}

}  // namespace

const WeightFormat q4_0 =
    panel_format<Q4_0Block, Q4_0Panel, &kernels::KernelTable::gemm_q4_0>(DType::q4_0, "q4_0");
const WeightFormat q4_1 =
    panel_format<Q4_1Block, Q4_1Panel, &kernels::KernelTable::gemm_q4_1>(DType::q4_1, "q4_1");
const WeightFormat q5_0 =
    panel_format<Q5_0Block, Q5_0Panel, &kernels::KernelTable::gemm_q5_0>(DType::q5_0, "q5_0");
const WeightFormat q5_1 =
    panel_format<Q5_1Block, Q5_1Panel, &kernels::KernelTable::gemm_q5_1>(DType::q5_1, "q5_1");
const WeightFormat q2_k =
    panel_format<Q2_KBlock, Q2_KPanel, &kernels::KernelTable::gemm_q2_k>(DType::q2_k, "q2_k");
const WeightFormat q3_k =
    panel_format<Q3_KBlock, Q3_KPanel, &kernels::KernelTable::gemm_q3_k>(DType::q3_k, "q3_k");
const WeightFormat q4_k =
    panel_format<Q4_KBlock, Q4_KPanel, &kernels::KernelTable::gemm_q4_k>(DType::q4_k, "q4_k");
const WeightFormat q5_k =
    panel_format<Q5_KBlock, Q5_KPanel, &kernels::KernelTable::gemm_q5_k>(DType::q5_k, "q5_k");
const WeightFormat q6_k =
    panel_format<Q6_KBlock, Q6_KPanel, &kernels::KernelTable::gemm_q6_k>(DType::q6_k, "q6_k");

}  // namespace engine::formats
