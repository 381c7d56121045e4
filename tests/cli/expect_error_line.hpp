// The CLI's error contract: one line on stderr, "engine: error: ...", a non-zero exit that is
// not a signal, nothing on stdout.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cli/run_cli.hpp"

namespace engine::test {

/// Expects `r` to be a failure whose one stderr line contains `needle`.
inline void expect_one_error_line(const CliResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.exit_code, 128) << "killed by a signal";
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

}  // namespace engine::test
