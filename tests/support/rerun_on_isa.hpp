// active_isa() is decided once per process, so a test that must run on every ISA runs this test
// binary again with ENGINE_ISA set and a filter.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include "engine/ops/isa.hpp"

namespace engine::test {

struct IsaRun {
  int status = 0;
  std::string output;  // stdout and stderr of the run
};

/// This binary's tests matching `filter`, on `isa`.
inline IsaRun rerun_on_isa(Isa isa, const std::string& filter) {
  const std::string command = "ENGINE_ISA=" + std::string(isa_name(isa)) + " " +
                              std::filesystem::read_symlink("/proc/self/exe").string() +
                              " --gtest_filter='" + filter + "' 2>&1";
  IsaRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) run.output.append(buf, n);
  run.status = ::pclose(pipe);
  return run;
}

}  // namespace engine::test
