// A short streaming-read probe of the machine's memory bandwidth: the roofline that decode
// throughput is measured against.
#pragma once

#include "cli/bench/bench_clock.hpp"

namespace engine {

/// Best-of-3 read bandwidth, in 10^9 bytes a second, over a buffer far larger than the caches
/// (256 MB), read by the current OpenMP thread count with the active ISA's f32 GEMV (the decode
/// access pattern), timed on `clock`.
double measure_read_bandwidth_gbps(BenchClock clock = BenchClock::wall);

}  // namespace engine
