// What each architecture's layer is made of, in one row per family: the loader reads the tensors
// it names and the forward pass (Session, layer_steps) runs the steps it selects, so a family is
// this description, not a fork of the forward pass.
#pragma once

#include "engine/model/config.hpp"

namespace engine {

enum class NormKind : std::uint8_t { rms, layer };
/// RoPE: none (learned positions), on consecutive pairs (v[2i], v[2i+1]) as llama.cpp's `llama`
/// (its converter permutes Q/K rows for that), or on halves (v[i], v[i + head_size/2]) as the
/// Hugging Face rotate_half that llama.cpp calls NEOX.
enum class RopeStyle : std::uint8_t { none, pairs, halves };
/// swiglu: w2 (silu(w1 x) * w3 x); geglu: w2 (gelu(w1 x) * w3 x); gelu: w2 gelu(w3 x + b3) + b2.
enum class FeedForwardKind : std::uint8_t { swiglu, geglu, gelu };

struct LayerRecipe {
  NormKind norm = NormKind::rms;
  RopeStyle rope = RopeStyle::pairs;
  FeedForwardKind feed_forward = FeedForwardKind::swiglu;
  bool qkv_biases = false;        // attn_q/k/v.bias (qwen2)
  bool fused_qkv = false;         // one attn_qkv matrix: query, key, value rows (phi3, gpt2)
  bool fused_gate_up = false;     // ffn_up holds the gate rows, then the up rows (phi3)
  bool scaled_embedding = false;  // embedding row times sqrt(dim) (gemma2)
  bool post_norms = false;        // RMSNorm of each sub-layer's output before the residual add
};

constexpr LayerRecipe recipe(Architecture a) {
  switch (a) {
    case Architecture::gpt2:
      return {.norm = NormKind::layer,
              .rope = RopeStyle::none,
              .feed_forward = FeedForwardKind::gelu,
              .fused_qkv = true};
    case Architecture::qwen2:
      return {.rope = RopeStyle::halves, .qkv_biases = true};
    case Architecture::phi3:
      return {.rope = RopeStyle::halves, .fused_qkv = true, .fused_gate_up = true};
    case Architecture::gemma2:
      return {.rope = RopeStyle::halves,
              .feed_forward = FeedForwardKind::geglu,
              .scaled_embedding = true,
              .post_norms = true};
    case Architecture::llama:
      break;
  }
  return {};
}

}  // namespace engine
