// y = x · wᵀ for the linear layers, on the active ISA's kernels, split across OpenMP threads.
#pragma once

namespace engine {

/// y (M, N) = x (M, K) · wᵀ, with w (N, K) row-major as nn.Linear stores it.
void matmul(const float* x, const float* w, float* y, int M, int K, int N);

}  // namespace engine
