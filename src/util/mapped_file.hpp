// A whole file's bytes in memory, read-only and memory-mapped: a model's matrices are read once
// from it into the kernels' layout at load, and only its small vectors are used in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace engine {

class MappedFile {
 public:
  /// Maps `path`; throws engine::Error (io) naming the file on failure.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  /// Drops this process's pages of the whole pages inside [p, p + bytes) (bytes of this file
  /// read for the last time, e.g. a matrix once converted): they leave its memory, and a later
  /// read maps them again from the page cache.
  void release(const void* p, std::size_t bytes) const;

 private:
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace engine
