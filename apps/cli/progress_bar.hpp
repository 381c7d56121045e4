// A one-line progress bar on stderr for long writes (synth, convert).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace engine::cli {

/// Redraws "[#####.....]  50% <detail>" in place; `done == total` ends the line. Only on a
/// terminal: in a log file or a pipe the redraws would be noise.
inline void show_progress(std::uint64_t done, std::uint64_t total, const std::string& detail) {
  static const bool terminal = ::isatty(STDERR_FILENO) == 1;
  if (!terminal) return;
  constexpr int kWidth = 40;
  const std::uint64_t whole = total ? total : 1;
  const int filled = static_cast<int>(kWidth * done / whole);
  std::fprintf(stderr, "\r[%s%s] %3d%% %s", std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '.').c_str(), static_cast<int>(100 * done / whole),
               detail.c_str());
  if (done >= total) std::fputc('\n', stderr);
}

}  // namespace engine::cli
