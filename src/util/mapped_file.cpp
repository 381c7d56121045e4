#include "util/mapped_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "engine/error.hpp"

namespace engine {

namespace {

// A descriptor closed on every way out (a mapping keeps the file alive by itself).
struct OpenFile {
  int fd;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads the first `bytes` of `fd` into `out`: "" when done, else why not.
std::string read_all(int fd, std::uint8_t* out, std::size_t bytes) {
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pread(fd, out + done, bytes - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::strerror(errno);
    if (n == 0) return "the file shrank while being read";
    done += static_cast<std::size_t>(n);
  }
  return "";
}

}  // namespace

MappedFile::MappedFile(const std::string& path, FileBacking backing) : path_(path) {
  const OpenFile file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  const int fd = file.fd;
  if (fd < 0)
    throw Error(ErrorCode::io, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw Error(ErrorCode::io, fmt::format("{}: cannot stat: {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw Error(ErrorCode::io, fmt::format("{}: not a regular file", path));
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ == 0) return;
  if (backing == FileBacking::huge_pages) {
    try {
      copy_ = HugePageBuffer(size_);
    } catch (const std::bad_alloc&) {
      throw Error(ErrorCode::io,
                  fmt::format("{}: cannot hold its {} bytes in memory", path, size_));
    }
    const std::string error = read_all(fd, copy_.data(), size_);
    if (!error.empty()) throw Error(ErrorCode::io, fmt::format("{}: cannot read: {}", path, error));
    data_ = copy_.data();
    return;
  }
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED)
    throw Error(ErrorCode::io, fmt::format("{}: cannot map: {}", path, std::strerror(errno)));
  data_ = static_cast<const std::uint8_t*>(p);
}

MappedFile::~MappedFile() {
  if (data_ && copy_.empty()) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

}  // namespace engine
