// What the kernels of one forward pass run with, handed down by the Session that owns it (its
// options) instead of read from process-wide switches.
#pragma once

#include "ops/workspace.hpp"
#include "util/crew.hpp"

namespace engine {

struct StepContext {
  /// Whether blocks of kBlockMinRows rows or more may take the block path (ops/block_path.hpp):
  /// SessionOptions::block_path is packed. Off, every block runs the per-row kernels.
  bool block_path = true;
  /// The session's scratch for the kernels.
  Workspace& workspace;
  /// How this thread runs the pass's parallel loops: a call taking this context is collective
  /// (in a crew, every member makes it, and it ends at a barrier). Unless set: forking OpenMP
  /// teams per loop, as a prompt block's pass does.
  Parallel& parallel = Parallel::forking();
};

}  // namespace engine
