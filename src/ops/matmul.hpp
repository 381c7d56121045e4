// The linear layers: y = x · wᵀ for a weight matrix in any stored type, on the active ISA's
// kernels, split across OpenMP threads.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "ops/matrix.hpp"
#include "ops/step_context.hpp"

namespace engine {

/// Multiply-adds from which a per-row pass (decode) is split across threads: below it a fork
/// costs more than it saves.
constexpr std::int64_t kRowPathSplitWork = 1 << 17;

/// y (M, w.rows) = x (M, w.cols) · wᵀ.
void matmul(const StepContext& step, const float* x, const Matrix& w, float* y, int M);

/// One product of matmuls: y (M, w.rows) = x · wᵀ.
struct Product {
  const Matrix& w;
  float* y;
};
/// Several products of the same x (q, k and v; gate and up), each as matmul computes it. Up to 4
/// products of one width share a pass: per row (decode) x is converted once and the threads
/// fork once for all the weight rows; on panels the block is packed once and the threads run
/// through all the panels, each prefetching its next panel across the matrices' boundaries.
void matmuls(const StepContext& step, const float* x, std::initializer_list<Product> products,
             int M);

/// Row `row` of `w` converted to f32 into out (w.cols floats): an embedding lookup.
void matrix_row(const Matrix& w, int row, float* out);

}  // namespace engine
