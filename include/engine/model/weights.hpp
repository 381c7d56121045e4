// Views of a decoder's weights. Vectors live in the model file's mapped bytes, matrices in the
// buffers the Model owns (converted to the kernels' layout, or packed, at load); nothing here
// owns memory. Matrices are (out, in), as nn.Linear stores them: row-major in a file, in a loaded
// model the layout of their type (src/ops/weight_format.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace engine {

/// Element types weights can be stored in: plain values, and ggml's blocks (ggml-common.h).
enum class DType : std::uint8_t {
  f32,
  f16,
  bf16,
  q8_0,  ///< blocks of 32 int8 with one f16 scale (GGUF Q8_0)
  q4_0,  ///< blocks of 32 4-bit quants and an f16 scale
  q4_1,  ///< ... and an f16 minimum
  q5_0,  ///< blocks of 32 5-bit quants and an f16 scale
  q5_1,  ///< ... and an f16 minimum
  q2_k,  ///< super-blocks of 256 values in sub-blocks with quantised scales (and minima)
  q3_k,
  q4_k,
  q5_k,
  q6_k,
};
/// "f32", "f16", "bf16", "q8_0", "q4_0", ..., "q6_k".
std::string_view dtype_name(DType dtype);
/// Parses a dtype_name (any case; "q8" is accepted for q8_0); throws engine::Error otherwise.
DType parse_dtype(std::string_view name);

/// A (rows, cols) weight matrix in its stored type.
struct Matrix {
  /// Row-major in a file; in a loaded model the layout of its type's format (f32, f16, bf16 and
  /// Q8_0 in the kernels' tiles of 4 rows, src/ops/tile_layout.hpp; others as the file has them).
  const void* data = nullptr;
  DType dtype = DType::f32;
  int rows = 0;  // output features
  int cols = 0;  // input features
  /// oneDNN's blocked copy of the same weights (made at load for blocks of rows), or null: the
  /// row-wise kernels always read `data`.
  const void* packed = nullptr;
  /// Weights packed in panels for blocks of rows (ops/panel_matmul.hpp, f32 or Q8_0 on AVX-512):
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
