// Gemma 2's soft-capping: values squashed smoothly into (-cap, cap).
#pragma once

#include <cmath>
#include <cstddef>

namespace engine {

/// x[i] = cap * tanh(x[i] * scale / cap) for i < n (the attention scores with their scale folded
/// in, or the logits with scale 1). std::tanh, not a vector approximation: near a tie of the
/// largest scores, the tanh decides.
inline void soft_cap(float* x, std::size_t n, float cap, float scale = 1.0f) {
  const float inner = scale / cap;
  for (std::size_t i = 0; i < n; ++i) x[i] = cap * std::tanh(x[i] * inner);
}

}  // namespace engine
