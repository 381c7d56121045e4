// Views of a Llama-style decoder's weights. The floats live in the memory-mapped checkpoint;
// nothing here owns memory. Matrices are row-major (out, in), as nn.Linear stores them.
#pragma once

namespace engine {

struct TransformerWeights {
  const float* token_embedding = nullptr;  // (vocab_size, dim)
  const float* rms_att = nullptr;          // (layer, dim) RMSNorm weights before attention
  const float* wq = nullptr;               // (layer, n_heads * head_size, dim)
  const float* wk = nullptr;               // (layer, n_kv_heads * head_size, dim)
  const float* wv = nullptr;               // (layer, n_kv_heads * head_size, dim)
  const float* wo = nullptr;               // (layer, dim, n_heads * head_size)
  const float* rms_ffn = nullptr;          // (layer, dim) RMSNorm weights before the FFN
  const float* w1 = nullptr;               // (layer, hidden_dim, dim) gate projection
  const float* w2 = nullptr;               // (layer, dim, hidden_dim) down projection
  const float* w3 = nullptr;               // (layer, hidden_dim, dim) up projection
  const float* rms_final = nullptr;        // (dim,)
  const float* wcls = nullptr;  // (vocab_size, dim) classifier; == token_embedding if shared
};

}  // namespace engine
