// Views of a decoder's weights. Vectors live in the model file's mapped bytes, matrices in the
// buffers the Model owns (converted to the kernels' layout, or packed, at load); nothing here
// owns memory. Matrices are (out, in), as nn.Linear stores them: row-major in a file, the
// kernels' tiles of 4 rows in a loaded model (src/ops/tile_layout.hpp).
#pragma once

#include <array>
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

/// A (rows, cols) weight matrix in its stored type.
struct Matrix {
  /// Row-major in a file; in a loaded model the kernels' tiles of 4 rows (an internal layout,
  /// src/ops/tile_layout.hpp).
  const void* data = nullptr;
  DType dtype = DType::f32;
  int rows = 0;  // output features
  int cols = 0;  // input features
  /// oneDNN's blocked copy of the same weights (made at load for blocks of rows), or null: the
  /// row-wise kernels always read `data`.
  const void* packed = nullptr;
  /// f32 or Q8_0 weights packed in panels for blocks of rows on AVX-512 (ops/panel_matmul.hpp):
  /// made at load instead of `packed`, or null.
  const void* panels = nullptr;

  /// Bytes of the stored matrix.
  std::uint64_t bytes() const;
  /// Rows [first, first + count) of row-major data as a matrix of their own (a view of the same
  /// data): e.g. the query, key and value parts of a fused QKV projection in a file.
  Matrix row_range(int first, int count) const;
};

struct LayerWeights {
  const float* rms_att = nullptr;  // (dim,) norm weights before attention (gpt2: LayerNorm scale)
  Matrix wq;                       // (n_heads * head_size, dim)
  Matrix wk;                       // (n_kv_heads * head_size, dim)
  Matrix wv;                       // (n_kv_heads * head_size, dim)
  Matrix wo;                       // (dim, n_heads * head_size)
  const float* rms_ffn = nullptr;  // (dim,) norm weights before the feed-forward
  Matrix w1;                       // (hidden_dim, dim) gate projection; llama only (empty: gpt2)
  Matrix w2;                       // (dim, hidden_dim) down projection
  Matrix w3;                       // (hidden_dim, dim) up projection

  // gpt2 only (null for llama): the LayerNorm shifts and the biases of the linear layers.
  const float* att_norm_bias = nullptr;  // (dim,)
  const float* bq = nullptr;             // (n_heads * head_size,)
  const float* bk = nullptr;             // (n_kv_heads * head_size,)
  const float* bv = nullptr;             // (n_kv_heads * head_size,)
  const float* bo = nullptr;             // (dim,)
  const float* ffn_norm_bias = nullptr;  // (dim,)
  const float* b3 = nullptr;             // (hidden_dim,) up projection bias
  const float* b2 = nullptr;             // (dim,) down projection bias

  // gemma2 only (null otherwise): RMSNorm weights of each sub-layer's output.
  const float* post_att_norm = nullptr;  // (dim,) after the attention output projection
  const float* post_ffn_norm = nullptr;  // (dim,) after the feed-forward

  /// Every matrix of the layer (an architecture's unused ones are empty), for code that treats
  /// them alike: conversion, byte counts.
  std::array<Matrix*, 7> matrices() { return {&wq, &wk, &wv, &wo, &w1, &w2, &w3}; }
  std::array<const Matrix*, 7> matrices() const { return {&wq, &wk, &wv, &wo, &w1, &w2, &w3}; }
};

struct TransformerWeights {
  Matrix token_embedding;            // (vocab_size, dim)
  std::vector<LayerWeights> layers;  // (n_layers)
  const float* rms_final = nullptr;  // (dim,)
  Matrix wcls;                       // (vocab_size, dim) classifier; the embedding if shared
  // gpt2 only (empty / null for llama).
  Matrix position_embedding;               // (n_positions, dim) learned, added to the token's
  const float* final_norm_bias = nullptr;  // (dim,)
};

}  // namespace engine
