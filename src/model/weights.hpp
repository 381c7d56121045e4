// Views of a decoder's weights. Vectors live in the model file's mapped bytes, matrices in the
// buffers the Model owns (converted to the kernels' layout, or packed, at load); nothing here
// owns memory. Matrices are (out, in), as nn.Linear stores them: row-major in a file, in a loaded
// model the layout of their type (src/ops/weight_format.hpp).
#pragma once

#include <array>
#include <vector>

#include "ops/matrix.hpp"

namespace engine {

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
