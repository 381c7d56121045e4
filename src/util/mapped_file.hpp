// A whole file's bytes in memory, read-only: memory-mapped (weights are used in place, never
// copied) or read once into huge pages (weights a decode step streams).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "util/huge_page_buffer.hpp"

namespace engine {

/// Where the bytes of a MappedFile live.
enum class FileBacking {
  /// The page cache, mapped read-only: nothing is read up front (header-only readers, models
  /// whose matrices are converted at load and then never read again).
  page_cache,
  /// A private copy on transparent huge pages, read at open (HugePageBuffer): for weights used
  /// in place by decode, which streams every one per token; on the 4 KB pages of the page cache
  /// that stream takes a TLB miss and a prefetcher restart every 4 KB.
  huge_pages,
};

class MappedFile {
 public:
  /// Maps or reads `path`; throws engine::Error (io) naming the file on failure.
  explicit MappedFile(const std::string& path, FileBacking backing = FileBacking::page_cache);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  HugePageBuffer copy_;  // the bytes when read into huge pages; else empty (mapped)
};

}  // namespace engine
