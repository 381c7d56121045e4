// What a Session runs its forward passes with, owned by the session alone: sessions on different
// threads share no threads, flags or scratch, so each runs as it would alone.
#pragma once

#include "ops/step_context.hpp"
#include "util/crew.hpp"

namespace engine {

struct ExecutionState {
  /// The decode step's threads: the session's own team (util/crew.hpp).
  Crew crew;
  /// What its steps' kernels run with (the session's options).
  StepContext step;
  /// SessionOptions::threads (0: the calling thread's OpenMP count).
  int threads = 0;
  /// Threads the last forward pass ran on (Session::step_threads).
  int step_threads = 1;
};

}  // namespace engine
