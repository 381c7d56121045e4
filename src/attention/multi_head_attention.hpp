// Grouped-query multi-head attention of a block of queries against one layer's KV cache.
#pragma once

#include <span>

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

/// One sequence's block of queries against its own cache, for multi_sequence_attention.
struct AttentionBlock {
  const float* q;       ///< (mask->rows(), q_dim)
  const float* keys;    ///< (mask->cols(), kv_dim) the sequence's cached keys
  const float* values;  ///< (mask->cols(), kv_dim) its cached values
  const Mask* mask;     ///< the block's rows against its cache's slots
  float* out;           ///< (mask->rows(), q_dim)
};

/// multi_head_attention of several sequences' blocks (a ragged decode step), each against its
/// own cache through its own mask, on the row path whatever their size (each gets the results
/// it gets alone there), every block's rows sharing one parallel loop: a step of many short
/// sequences keeps all its threads busy where a loop per sequence would wait at each one's end.
///   scores  (total rows, n_heads, the largest mask->cols()) scratch
void multi_sequence_attention(const StepContext& step, const ModelConfig& config,
                              std::span<const AttentionBlock> blocks, float* scores);

}  // namespace engine
