// The spin-wait hint, for loops that wait on another thread's write.
#pragma once

namespace engine {

/// Tells the CPU this thread is spinning (x86 `pause`: frees the core's resources for its
/// sibling and saves power); nothing elsewhere.
inline void cpu_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace engine
