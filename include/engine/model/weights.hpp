// Views of a decoder's weights. The data lives in the memory-mapped model file or, for weights
// converted at load (e.g. to bf16), in buffers the Model owns; nothing here owns memory.
// Matrices are row-major (out, in), as nn.Linear stores them.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace engine {

/// Element types weights can be stored in.
enum class DType : std::uint8_t {
  f32,
  f16,
  bf16,
  q8_0,  ///< blocks of 32 int8 with one f16 scale (GGUF Q8_0)
};
/// "f32", "f16", "bf16" or "q8_0".
std::string_view dtype_name(DType dtype);
/// Parses "f32|f16|bf16|q8_0" ("q8" is accepted for q8_0); throws engine::Error otherwise.
DType parse_dtype(std::string_view name);

/// A (rows, cols) row-major weight matrix in its stored type.
struct Matrix {
  const void* data = nullptr;
  DType dtype = DType::f32;
  int rows = 0;  // output features
  int cols = 0;  // input features

  /// Bytes of the stored matrix.
  std::uint64_t bytes() const;
};

struct LayerWeights {
  const float* rms_att = nullptr;  // (dim,) RMSNorm weights before attention
  Matrix wq;                       // (n_heads * head_size, dim)
  Matrix wk;                       // (n_kv_heads * head_size, dim)
  Matrix wv;                       // (n_kv_heads * head_size, dim)
  Matrix wo;                       // (dim, n_heads * head_size)
  const float* rms_ffn = nullptr;  // (dim,) RMSNorm weights before the feed-forward
  Matrix w1;                       // (hidden_dim, dim) gate projection
  Matrix w2;                       // (dim, hidden_dim) down projection
  Matrix w3;                       // (hidden_dim, dim) up projection
};

struct TransformerWeights {
  Matrix token_embedding;            // (vocab_size, dim)
  std::vector<LayerWeights> layers;  // (n_layers)
  const float* rms_final = nullptr;  // (dim,)
  Matrix wcls;                       // (vocab_size, dim) classifier; the embedding if shared
};

}  // namespace engine
