// What a Session runs its forward passes with, owned by the session alone: sessions on different
// threads share no threads, flags or scratch, so each runs as it would alone.
#pragma once

#include "ops/workspace.hpp"
#include "util/crew.hpp"

namespace engine {

struct ExecutionState {
  /// The decode step's threads: the session's own team (util/crew.hpp).
  Crew crew;
  /// The kernels' scratch, grown on demand (ops/workspace.hpp).
  Workspace workspace;
  /// SessionOptions::block_path is packed (StepContext::block_path).
  bool block_path = true;
  /// SessionOptions::threads (0: the calling thread's OpenMP count).
  int threads = 0;
  /// Threads the last forward pass ran on (Session::step_threads).
  int step_threads = 1;
};

}  // namespace engine
