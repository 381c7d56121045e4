// Grouped-query multi-head attention of a block of queries against one layer's KV cache.
#pragma once

#include "engine/attention/mask.hpp"
#include "engine/model/config.hpp"
#include "ops/step_context.hpp"

namespace engine {

/// For each query row t and head h: scores over the mask's columns (keys 0..mask.cols()-1 of
/// the cache), scaled (config.score_scale()) and soft-capped when the model says so
/// (config.attention_softcap), the mask stage (mask row t), the masked softmax, then the
/// probability-weighted sum of values. Masked keys get exactly 0 probability; a fully masked row
/// gives zeros. Keys no row may see are never read (on the block path, a chunk of rows reads the
/// span of keys its rows may see together).
///   q       (T, q_dim = n_heads * head_size), T = mask.rows()
///   keys    (mask.cols(), kv_dim) cached keys, values likewise
///   scores  (T, n_heads, mask.cols()) scratch; holds the probabilities afterwards when
///           `observed` (a block of queries writes them there only then)
///   out     (T, q_dim)
/// A block of 17 rows or more runs on the block kernels when `step` allows the block path.
void multi_head_attention(const StepContext& step, const ModelConfig& config, const float* q,
                          const float* keys, const float* values, const Mask& mask, float* scores,
                          float* out, bool observed);

}  // namespace engine
