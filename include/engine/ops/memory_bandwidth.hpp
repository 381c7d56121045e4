// A short streaming-read probe of the machine's memory bandwidth: the roofline that decode
// throughput is measured against.
#pragma once

#include <functional>

namespace engine {

/// Best-of-3 read bandwidth, in 10^9 bytes a second, over a buffer far larger than the caches
/// (256 MB on huge pages, where loaded weights live), read by the current OpenMP thread count with
/// the active ISA's f32 GEMV (the decode access pattern). `seconds` is the clock it is timed on:
/// seconds from any fixed origin (the wall, or the process's CPU time).
double measure_read_bandwidth_gbps(const std::function<double()>& seconds);

}  // namespace engine
