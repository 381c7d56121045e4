#include "cli/standard_output.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/error.hpp"

namespace engine::cli {
namespace {

[[noreturn]] void fail(int error) {
  throw Error(ErrorCode::io,
              fmt::format("cannot write to standard output: {}", std::strerror(error)));
}

}  // namespace

void write_stdout(std::string_view bytes) {
  errno = 0;
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() ||
      std::fflush(stdout) != 0)
    fail(errno ? errno : EIO);
}

void check_stdout() {
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) fail(errno ? errno : EIO);
}

}  // namespace engine::cli
