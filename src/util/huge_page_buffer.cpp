#include "util/huge_page_buffer.hpp"

#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <utility>

namespace engine {
namespace {

// Bytes a thread populates at least: a buffer below twice this is populated by one thread.
constexpr std::size_t kBytesPerThread = std::size_t{32} << 20;

}  // namespace

HugePageBuffer::HugePageBuffer(std::size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  constexpr std::size_t kPage = 4096;
  const bool huge = bytes >= kAlignment;
  const std::size_t align = huge ? kAlignment : kPage;
  if (bytes > SIZE_MAX - 2 * align) throw std::bad_alloc();
  mapped_ = (bytes + align - 1) / align * align;
  // A private anonymous mapping: the kernel hands out zeroed pages (no memset of our own).
  // For huge pages mapped one huge page larger, then trimmed to the aligned part.
  const std::size_t extra = huge ? kAlignment : 0;
  void* const p =
      ::mmap(nullptr, mapped_ + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  const std::uintptr_t start = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t aligned = (start + align - 1) / align * align;
  if (aligned > start) ::munmap(p, aligned - start);
  const std::uintptr_t end = aligned + mapped_, mapped_end = start + mapped_ + extra;
  if (mapped_end > end) ::munmap(reinterpret_cast<void*>(end), mapped_end - end);
  data_ = reinterpret_cast<std::uint8_t*>(aligned);
  // Only a hint: a kernel without THP leaves 4 KB pages, which work the same.
  if (huge) ::madvise(data_, mapped_, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
  // Fault every page in now (Linux >= 5.14; older kernels fault on first write) rather than in
  // the threads that fill the buffer, whose faults on the same fresh huge pages (oneDNN's
  // reorder) contend. The kernel zeroes each page, and in a VM the host backs it on that first
  // touch: most of a load's time. Split across the threads, a contiguous range each: two
  // threads populate nearly twice as fast as one (docs/performance.md).
  const std::size_t pages = mapped_ / align;
  const int threads = static_cast<int>(std::clamp<std::size_t>(
      mapped_ / kBytesPerThread, 1, static_cast<std::size_t>(omp_get_max_threads())));
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (int t = 0; t < threads; ++t) {
    const std::size_t begin = pages * t / threads * align, end = pages * (t + 1) / threads * align;
    ::madvise(data_ + begin, end - begin, MADV_POPULATE_WRITE);
  }
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
