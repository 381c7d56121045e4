// The linear layers: y = x · wᵀ for a weight matrix in any stored type, on the active ISA's
// kernels, split across OpenMP threads.
#pragma once

#include "engine/model/weights.hpp"

namespace engine {

/// y (M, w.rows) = x (M, w.cols) · wᵀ.
void matmul(const float* x, const Matrix& w, float* y, int M);

/// Row `row` of `w` converted to f32 into out (w.cols floats): an embedding lookup.
void matrix_row(const Matrix& w, int row, float* out);

}  // namespace engine
