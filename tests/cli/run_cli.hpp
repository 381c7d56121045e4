// Runs the real `engine` binary and captures its stdout, stderr and exit code.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace engine::test {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs `engine <args>` through /bin/sh (args are shell words, quote them yourself).
inline CliResult run_cli(const std::string& args, const std::string& env = "") {
  const auto err_file =
      std::filesystem::temp_directory_path() / ("engine_cli_err_" + std::to_string(::getpid()));
  const std::string command =
      env + " " + ENGINE_TEST_CLI + " " + args + " 2>" + err_file.string() + " </dev/null";
  CliResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.err = read_file(err_file);
  std::filesystem::remove(err_file);
  return result;
}

/// Shell-quotes a path or argument.
inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace engine::test
