// Scratch the kernels of a session's forward passes reuse, owned by the Session (its
// ExecutionState) and handed down in its StepContext instead of kept per thread: a thread that
// runs several sessions holds no buffers of theirs, and a session's go with it. Each buffer only
// grows, to the largest step so far, so a decode step allocates nothing once warmed up.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/attention/mask.hpp"

namespace engine {

/// x converted once per call to what the weight formats' per-row kernels take (ops/matmul.cpp).
struct ConvertedInput {
  std::vector<std::uint16_t> bf16;      // (M, K)
  std::vector<std::int8_t> q8;          // (M, K)
  std::vector<float> q8_scales;         // (M, K / 32)
  std::vector<std::int32_t> q8_sums16;  // (M, K / 16)
  std::vector<float> q8_dsums32;        // (M, K / 32)
};

/// A block's rows in the panel kernel's tiles (ops/panel_matmul.cpp): f32 values (for bf16
/// panels the rows' bf16 pairs, half as many words), or for Q8_0 panels the rows quantised
/// (xq, xd) and their Q8 tiles.
struct PanelScratch {
  std::vector<float> tiles;            // (M, K)
  std::vector<std::int8_t> xq;         // (M, K)
  std::vector<float> xd;               // (M, K / 32)
  std::vector<std::uint8_t> q8_tiles;  // (M, row bytes)
};

/// oneDNN's inputs (ops/onednn_matmul.cpp): x rounded to bf16, and a chunk of w's rows read back
/// from the tile layout.
struct OnednnScratch {
  std::vector<std::uint16_t> bf16_x;        // (M, K)
  std::vector<std::uint16_t> bf16_weights;  // (chunk rows, K)
  std::vector<float> f32_weights;           // (chunk rows, K)
};

/// Block attention's (attention/multi_head_attention.cpp).
struct AttentionScratch {
  std::vector<std::optional<RowRange>> ranges;  // (T) each mask row's range, if it has one
  std::vector<float> per_thread;  // (threads, head_size + chunk rows, n_keys) keys_t, scores
};

struct Workspace {
  /// One per member of a decode crew, each converting x for itself (member 0, the first, is
  /// also the caller's outside a crew). The session sizes it before a step: a crew member must
  /// not allocate.
  std::vector<ConvertedInput> inputs = std::vector<ConvertedInput>(1);
  /// The block path's: the caller's thread sizes them, its OpenMP threads share them by index.
  PanelScratch panels;
  OnednnScratch onednn;
  AttentionScratch attention;
};

}  // namespace engine
