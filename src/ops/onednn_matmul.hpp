// Linear layers over a block of rows (prompt prefill, batches) through oneDNN's matmul, which
// runs near the CPU's peak where a GEMV per row cannot. Weights are used in place: our (N, K)
// row-major matrix is oneDNN's (K, N) `ba` layout, so no packed copy doubles the memory.
#pragma once

#include "engine/model/weights.hpp"

namespace engine {

/// Rows from which a block goes through oneDNN rather than the register-tiled kernels: up to
/// 16 rows (decode batches) the kernels read each weight row once and beat oneDNN on weights
/// it has not packed; beyond, oneDNN's compute rate wins.
constexpr int kOneDnnMinRows = 17;
/// ... and from this many multiply-adds: below it a fork costs more than it saves.
constexpr long kOneDnnMinWork = 1 << 20;

/// y (M, w.rows) = x (M, w.cols) · wᵀ. f32 weights run f32; bf16 weights run bf16 x bf16 with
/// f32 accumulation (x rounded to bf16); Q8_0 and f16 weights are expanded to f32 first (the block
/// is compute-bound, so reading them once more costs little). Primitives are created once per
/// (shape, type, thread count) and reused.
void onednn_matmul(const float* x, const Matrix& w, float* y, int M);

}  // namespace engine
