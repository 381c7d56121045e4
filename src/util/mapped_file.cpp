#include "util/mapped_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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

}  // namespace

MappedFile::MappedFile(const std::string& path) : path_(path) {
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
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED)
    throw Error(ErrorCode::io, fmt::format("{}: cannot map: {}", path, std::strerror(errno)));
  data_ = static_cast<const std::uint8_t*>(p);
}

void MappedFile::release(const void* p, std::size_t bytes) const {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  const auto begin = std::max(at, reinterpret_cast<std::uintptr_t>(data_));
  const auto end = std::min(at + bytes, reinterpret_cast<std::uintptr_t>(data_) + size_);
  const std::uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
  // Advice only: a failure leaves the pages mapped, which is no error.
  if (first < last) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

}  // namespace engine
