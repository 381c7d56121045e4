// Memory for what decode streams (the matrices a load lays out or packs, the KV cache), on
// transparent huge pages.
#pragma once

#include <cstddef>
#include <cstdint>

namespace engine {

/// `bytes` of zeroed memory. From 2 MB on, aligned to 2 MB and advised to the kernel as
/// transparent huge pages (MADV_HUGEPAGE: Debian's default THP mode is "madvise", so plain
/// allocations get 4 KB pages); smaller buffers (a small model's matrices) on 4 KB pages, so
/// they are not padded to 2 MB each. Why: a decode step streams every weight once, and on 4 KB
/// pages that stream stalls on a TLB miss every 4 KB and the hardware prefetcher restarts at
/// each page (the measurement is in docs/performance.md).
class HugePageBuffer {
 public:
  HugePageBuffer() = default;
  explicit HugePageBuffer(std::size_t bytes);
  ~HugePageBuffer();
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;

  static constexpr std::size_t kAlignment = std::size_t{2} << 20;

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;  // size_ rounded up to whole pages
};

}  // namespace engine
