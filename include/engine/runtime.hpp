// Process-wide runtime settings.
#pragma once

namespace engine {

/// Threads the kernels (OpenMP) use; n <= 0 means one per physical core. Call before creating
/// sessions. Throws engine::Error for n above the machine's hardware threads x 4.
void set_num_threads(int n);
int num_threads();

}  // namespace engine
