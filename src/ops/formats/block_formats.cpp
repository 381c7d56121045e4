// The ggml block types a load keeps as the file has them (Q4_0 ... Q6_K): rows of whole blocks,
// row-major. Rows come back as f32 block by block (ggml_blocks.hpp), for embeddings and for
// blocks of rows (oneDNN on rows expanded a chunk at a time); the decode kernel (the kernel
// table's for Q4_0, Q4_K and Q6_K, else one expanding each weight row once) takes the dot
// products of the dequantised weights with f32 x: the exact mathematics of the file. Each can also
// be converted to from f32 (ggml_blocks.hpp's searching encoders), at load or by engine convert.
#include <cstring>
#include <vector>

#include "ops/formats/formats.hpp"
#include "ops/formats/ggml_blocks.hpp"
#include "ops/kernels/kernel_table.hpp"

namespace engine::formats {
namespace {

template <typename Block>
struct BlockRows {
  static std::size_t row_bytes(std::size_t cols) { return cols / Block::kValues * Block::kBytes; }

  static std::size_t loaded_bytes(std::size_t rows, std::size_t cols) {
    return rows * row_bytes(cols);
  }

  static void store_rows(const std::uint8_t* file_rows, std::size_t first, std::size_t count,
                         std::size_t, std::size_t cols, std::uint8_t* loaded) {
    std::memcpy(loaded + first * row_bytes(cols), file_rows, count * row_bytes(cols));
  }

  static void quantize_row(const float* in, std::uint8_t* out, std::size_t n) {
    for (std::size_t b = 0; b < n / Block::kValues; ++b)
      Block::encode(in + b * Block::kValues, out + b * Block::kBytes);
  }

  static void load_rows(const Matrix& w, std::size_t first, std::size_t count, float* out) {
    const std::size_t K = w.cols, blocks = count * (K / Block::kValues);
    const std::uint8_t* in = static_cast<const std::uint8_t*>(w.data) + first * row_bytes(K);
    for (std::size_t b = 0; b < blocks; ++b)
      Block::decode(in + b * Block::kBytes, out + b * Block::kValues);
  }

  static void gemm_rows(const kernels::KernelTable& k, const Matrix& w, std::size_t row,
                        std::size_t rows, const Activations& x, float* y, std::size_t M) {
    // One row expanded at a time, per thread and only ever grown.
    thread_local std::vector<float> t_row;
    const std::size_t K = w.cols, N = w.rows;
    if (t_row.size() < K) t_row.resize(K);
    float* const values = t_row.data();
    for (std::size_t r = row; r < row + rows; ++r) {
      load_rows(w, r, 1, values);
      for (std::size_t m = 0; m < M; ++m) y[m * N + r] = k.dot(values, x.f32 + m * K, K);
    }
  }
};

// The kernel table's decode kernel for Block (null: the rows expanded by BlockRows::gemm_rows).
using GemmBlocks = void (*kernels::KernelTable::*)(const std::uint8_t*, const float*, float*,
                                                   std::size_t, std::size_t, std::size_t,
                                                   std::size_t);

template <typename Block, GemmBlocks kernel>
void gemm_rows_kernel(const kernels::KernelTable& k, const Matrix& w, std::size_t row,
                      std::size_t rows, const Activations& x, float* y, std::size_t M) {
  const auto* first =
      static_cast<const std::uint8_t*>(w.data) + row * BlockRows<Block>::row_bytes(w.cols);
  (k.*kernel)(first, x.f32, y + row, rows, w.cols, M, w.rows);
}

template <typename Block, GemmBlocks kernel>
constexpr auto gemm_rows() {
  if constexpr (kernel == nullptr)
    return BlockRows<Block>::gemm_rows;
  else
    return gemm_rows_kernel<Block, kernel>;
}

template <typename Block, GemmBlocks kernel = nullptr>
constexpr WeightFormat block_format(DType dtype, std::string_view name) {
  using Rows = BlockRows<Block>;
  return {
      .dtype = dtype,
      .name = name,
      .ggml_type = Block::kGgmlType,
      .block_values = Block::kValues,
      .block_bytes = Block::kBytes,
      .activations = ActivationType::f32,
      .loaded_bytes = Rows::loaded_bytes,
      .store_rows = Rows::store_rows,
      .quantize_row = Rows::quantize_row,
      .load_rows = Rows::load_rows,
      .gemm_rows = gemm_rows<Block, kernel>(),
      .panel_isa = Isa::scalar,
      .panel_bytes = nullptr,
      .pack_panels = nullptr,
      .onednn_bf16 = false,
      .onednn_packs = false,
  };
}

}  // namespace

const WeightFormat q4_0 =
    block_format<Q4_0Block, &kernels::KernelTable::gemm_q4_0>(DType::q4_0, "q4_0");
const WeightFormat q4_1 = block_format<Q4_1Block>(DType::q4_1, "q4_1");
const WeightFormat q5_0 = block_format<Q5_0Block>(DType::q5_0, "q5_0");
const WeightFormat q5_1 = block_format<Q5_1Block>(DType::q5_1, "q5_1");
const WeightFormat q2_k = block_format<Q2_KBlock>(DType::q2_k, "q2_k");
const WeightFormat q3_k = block_format<Q3_KBlock>(DType::q3_k, "q3_k");
const WeightFormat q4_k =
    block_format<Q4_KBlock, &kernels::KernelTable::gemm_q4_k>(DType::q4_k, "q4_k");
const WeightFormat q5_k = block_format<Q5_KBlock>(DType::q5_k, "q5_k");
const WeightFormat q6_k =
    block_format<Q6_KBlock, &kernels::KernelTable::gemm_q6_k>(DType::q6_k, "q6_k");

}  // namespace engine::formats
