#include "util/huge_page_buffer.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>
#include <utility>

namespace engine {

HugePageBuffer::HugePageBuffer(std::size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  // A private anonymous mapping: the kernel hands out zeroed pages (no memset of our own).
  // Mapped one huge page larger, then trimmed to the aligned part.
  mapped_ = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* const p = ::mmap(nullptr, mapped_ + kAlignment, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  const std::uintptr_t start = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t aligned = (start + kAlignment - 1) / kAlignment * kAlignment;
  if (aligned > start) ::munmap(p, aligned - start);
  const std::uintptr_t end = aligned + mapped_, mapped_end = start + mapped_ + kAlignment;
  if (mapped_end > end) ::munmap(reinterpret_cast<void*>(end), mapped_end - end);
  data_ = reinterpret_cast<std::uint8_t*>(aligned);
  // Only a hint: a kernel without THP leaves 4 KB pages, which work the same.
  ::madvise(data_, mapped_, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
  // Fault every page in now, in one pass (Linux >= 5.14; older kernels fault on first write):
  // left to the threads that fill the buffer, e.g. oneDNN's reorder, their faults on the same
  // huge pages measured up to 1.6x slower loads.
  ::madvise(data_, mapped_, MADV_POPULATE_WRITE);
#endif
}

HugePageBuffer::~HugePageBuffer() {
  if (data_) ::munmap(data_, mapped_);
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, mapped_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

}  // namespace engine
