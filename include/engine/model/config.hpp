// Hyper-parameters of a decoder: the Llama family (llama, qwen2, phi3, gemma2) or GPT-2.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace engine {

/// The decoder families we run. They share the attention (KV cache, mask stage, masked softmax)
/// and differ in the arithmetic around it (src/model/architecture.hpp describes each layer).
enum class Architecture : std::uint8_t {
  llama,   ///< RMSNorm, RoPE on pairs, no biases, SwiGLU feed-forward
  gpt2,    ///< learned positions, LayerNorm with bias, biased linear layers, GELU (tanh) MLP
  qwen2,   ///< llama with query/key/value biases and RoPE on halves (NEOX)
  phi3,    ///< llama with fused QKV and gate+up matrices and RoPE on halves
  gemma2,  ///< scaled embeddings, GELU-gated FFN, post-norms, soft-capping, alternating windows
};

/// The GGUF general.architecture name.
constexpr std::string_view architecture_name(Architecture a) {
  switch (a) {
    case Architecture::gpt2:
      return "gpt2";
    case Architecture::qwen2:
      return "qwen2";
    case Architecture::phi3:
      return "phi3";
    case Architecture::gemma2:
      return "gemma2";
    case Architecture::llama:
      break;
  }
  return "llama";
}

struct ModelConfig {
  int dim = 0;         // transformer width (embedding size)
  int hidden_dim = 0;  // feed-forward inner width
  int n_layers = 0;
  int n_heads = 0;     // query heads
  int n_kv_heads = 0;  // key/value heads (< n_heads: grouped-query attention)
  int vocab_size = 0;
  int seq_len = 0;                // context length the model was trained for
  bool shared_classifier = true;  // classifier is the token embedding
  float norm_eps = 1e-5f;         // RMSNorm (llama) or LayerNorm (gpt2) epsilon
  float rope_theta = 10000.0f;    // RoPE base frequency (llama)
  Architecture architecture = Architecture::llama;
  // Set by the families that need them (0: the default each comment names).
  int head_dim = 0;                // width of a head (GGUF attention.key_length); 0: dim / n_heads
  float rope_freq_scale = 1.0f;    // RoPE linear scaling: positions times this (1 / factor)
  float rope_attn_factor = 1.0f;   // RoPE cos and sin times this (LongRoPE's attention factor)
  float attention_scale = 0.0f;    // query-key product scale; 0: 1 / sqrt(head_size)
  float attention_softcap = 0.0f;  // scores -> cap * tanh(scores / cap) before the mask; 0: none
  float final_softcap = 0.0f;      // the same on the logits; 0: none
  int sliding_window = 0;          // the window of the layers that have one (gemma2); 0: none

  /// Width of one attention head.
  int head_size() const { return head_dim > 0 ? head_dim : dim / n_heads; }
  /// Width of the queries of one position: all query heads (dim unless head_dim says otherwise).
  int q_dim() const { return head_size() * n_heads; }
  /// Width of the keys (or values) of one position: all key/value heads.
  int kv_dim() const { return head_size() * n_kv_heads; }
  /// Query heads sharing one key/value head.
  int kv_group() const { return n_heads / n_kv_heads; }
  /// The scale of the query-key products.
  float score_scale() const {
    return attention_scale > 0 ? attention_scale
                               : 1.0f / std::sqrt(static_cast<float>(head_size()));
  }
  /// The sliding window of layer `layer` (gemma2: the even layers, as llama.cpp's swa pattern 2
  /// says), or 0: causal over the whole cache.
  int layer_window(int layer) const {
    return architecture == Architecture::gemma2 && layer % 2 == 0 ? sliding_window : 0;
  }
};

}  // namespace engine
