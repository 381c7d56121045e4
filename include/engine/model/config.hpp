// Hyper-parameters of a Llama-style decoder.
#pragma once

namespace engine {

struct ModelConfig {
  int dim = 0;         // transformer width (embedding size)
  int hidden_dim = 0;  // feed-forward inner width
  int n_layers = 0;
  int n_heads = 0;     // query heads
  int n_kv_heads = 0;  // key/value heads (< n_heads: grouped-query attention)
  int vocab_size = 0;
  int seq_len = 0;                // context length the model was trained for
  bool shared_classifier = true;  // classifier is the token embedding
  float norm_eps = 1e-5f;         // RMSNorm epsilon
  float rope_theta = 10000.0f;    // RoPE base frequency

  /// Width of one attention head.
  int head_size() const { return dim / n_heads; }
  /// Width of the keys (or values) of one position: all key/value heads.
  int kv_dim() const { return head_size() * n_kv_heads; }
  /// Query heads sharing one key/value head.
  int kv_group() const { return n_heads / n_kv_heads; }
};

}  // namespace engine
