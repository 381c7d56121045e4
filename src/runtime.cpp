#include "engine/runtime.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <chrono>
#include <thread>

#include "engine/error.hpp"
#include "util/cpu_load.hpp"
#include "util/log.hpp"

namespace engine {

void set_num_threads(int n) {
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) {
    // A few scheduler ticks (10 ms each) tell a CPU another process holds from an idle one.
    n = free_cpus(std::chrono::milliseconds(40));
    log::debug("default thread count: {} of {} CPUs are free", n, omp_get_num_procs());
  }
  if (hardware > 0 && n > 4 * hardware)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} threads requested but this machine has {}", n, hardware));
  omp_set_num_threads(n);
}

int num_threads() {
  return omp_get_max_threads();
}

}  // namespace engine
