#include "cli/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "engine/error.hpp"

namespace engine::cli {
namespace {

std::string reason() {
  return std::strerror(errno);
}

[[noreturn]] void fail_io(const std::string& what) {
  throw Error(ErrorCode::io, fmt::format("{}: {}", what, reason()));
}

}  // namespace

void check_not_an_input(const std::string& output, std::span<const std::string> inputs) {
  struct stat out;
  if (::stat(output.c_str(), &out) != 0) return;
  for (const std::string& input : inputs) {
    struct stat in;
    if (!input.empty() && ::stat(input.c_str(), &in) == 0 && in.st_dev == out.st_dev &&
        in.st_ino == out.st_ino)
      throw Error(
          ErrorCode::invalid_argument,
          fmt::format("{}: refusing to write over an input of this command ({})", output, input));
  }
}

OutputFile::OutputFile(std::string path, std::span<const std::string> inputs)
    : path_(std::move(path)) {
  check_not_an_input(path_, inputs);
  const std::filesystem::path target(path_);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  // Hidden and unique beside the target, so the rename stays within one file system.
  const std::string pattern =
      fmt::format("{}/.{}.XXXXXX", dir.string(), target.filename().string());
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  fd_ = ::mkstemp(name.data());
  if (fd_ < 0) fail_io(fmt::format("{}: cannot create a file in {}", path_, dir.string()));
  temp_path_ = name.data();
  // mkstemp makes it 0600; an output file gets the usual mode the umask allows.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void OutputFile::write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_io(fmt::format("{}: cannot write", path_));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void OutputFile::commit() {
  // The descriptor sees what other writers wrote through temp_path() too: same file.
  if (::fsync(fd_) != 0) fail_io(fmt::format("{}: cannot flush to disk", path_));
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail_io(fmt::format("{}: cannot write", path_));
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    fail_io(fmt::format("{}: cannot replace", path_));
  committed_ = true;
}

void write_file_atomically(const std::string& path, std::string_view bytes,
                           std::span<const std::string> inputs) {
  OutputFile file(path, inputs);
  file.write(bytes);
  file.commit();
}

}  // namespace engine::cli
