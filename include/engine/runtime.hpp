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

/// Process-wide: blocks of 17+ rows (prompts, batches) take the block path by default: the
/// linear layers on weights packed at load (f32 on AVX-512: our panel kernel; otherwise oneDNN)
/// and attention on the block kernels. Turning it off runs them through the same GEMV and
/// attention kernels as decode: slower, but bit-for-bit the sums a token-by-token run makes (what
/// the exactness tests compare against). Weights are packed only for models loaded while it is
/// on; turned on later, such a model's blocks run oneDNN on its unpacked weights.
void set_use_onednn(bool enabled);
/// Whether blocks take the block path (see set_use_onednn).
bool use_onednn();

}  // namespace engine
