// Hyper-parameters of a decoder: Llama-style or GPT-2.
#pragma once

#include <cstdint>
#include <string_view>

namespace engine {

/// The decoder families we run. They share the attention (KV cache, mask stage, masked softmax)
/// and differ in the arithmetic around it.
enum class Architecture : std::uint8_t {
  llama,  ///< RMSNorm, RoPE, no biases, SwiGLU feed-forward
  gpt2,   ///< learned positions, LayerNorm with bias, biased linear layers, GELU (tanh) MLP
};

/// "llama" or "gpt2" (the GGUF general.architecture name).
constexpr std::string_view architecture_name(Architecture a) {
  return a == Architecture::gpt2 ? "gpt2" : "llama";
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

  /// Width of one attention head.
  int head_size() const { return dim / n_heads; }
  /// Width of the keys (or values) of one position: all key/value heads.
  int kv_dim() const { return head_size() * n_kv_heads; }
  /// Query heads sharing one key/value head.
  int kv_group() const { return n_heads / n_kv_heads; }
};

}  // namespace engine
