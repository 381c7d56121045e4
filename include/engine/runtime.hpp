// Runtime settings.
#pragma once

namespace engine {

/// Threads the kernels (OpenMP) use for work started from the calling thread (libgomp keeps the
/// count per calling thread); n <= 0 means one per CPU this process may use that no other
/// process keeps busy (sampled from /proc/stat over 40 ms, during which the call sleeps): a
/// thread on a CPU another process holds would make every step wait for it. Call before
/// generating: oneDNN primitives keep the count they were created with. Throws engine::Error
/// for n above the machine's hardware threads x 4.
void set_num_threads(int n);
/// Threads the kernels use for work started from the calling thread.
int num_threads();

}  // namespace engine
