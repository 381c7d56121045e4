#include "util/huge_page_buffer.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace engine {

HugePageBuffer::HugePageBuffer(std::size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  // aligned_alloc wants a multiple of the alignment; a huge page is only ever whole anyway.
  const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  data_ = static_cast<std::uint8_t*>(std::aligned_alloc(kAlignment, rounded));
  if (!data_) throw std::bad_alloc();
  // Advice before the first touch, so the pages are faulted in as huge pages. Only a hint: a
  // kernel without THP leaves 4 KB pages, which work the same.
  ::madvise(data_, rounded, MADV_HUGEPAGE);
  std::memset(data_, 0, bytes);
}

HugePageBuffer::~HugePageBuffer() {
  std::free(data_);
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace engine
