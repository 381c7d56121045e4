// What the kernels of one forward pass run with, handed down by the Session that owns it (its
// options) instead of read from process-wide switches.
#pragma once

#include "ops/workspace.hpp"

namespace engine {

struct StepContext {
  /// Whether blocks of kBlockMinRows rows or more may take the block path (ops/block_path.hpp):
  /// SessionOptions::block_path is packed. Off, every block runs the per-row kernels.
  bool block_path = true;
  /// The session's scratch for the kernels.
  Workspace& workspace;
};

}  // namespace engine
