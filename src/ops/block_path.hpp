// When a block of rows (a prompt, a batch) leaves the per-row kernels for the block path: the
// linear layers on weights packed at load (our panels or oneDNN) and attention on the block
// kernels. One threshold for both, so a block is either all block path or all per-row sums.
#pragma once

#include <cstdint>

#include "ops/step_context.hpp"

namespace engine {

/// Rows from which a block takes the block path: up to 16 rows (decode batches) the
/// register-tiled kernels read each weight row once and keep up; beyond, the block kernels'
/// compute rate wins.
constexpr std::int64_t kBlockMinRows = 17;
/// ... and from this many multiply-adds: below it a fork costs more than it saves.
constexpr std::int64_t kBlockMinWork = 1 << 20;

/// Whether `rows` rows and `work` multiply-adds take the block path (when the step allows it).
inline bool takes_block_path(const StepContext& step, std::int64_t rows, std::int64_t work) {
  return step.block_path && rows >= kBlockMinRows && work >= kBlockMinWork;
}

}  // namespace engine
