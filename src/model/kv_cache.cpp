#include "model/kv_cache.hpp"

#include "util/huge_page_buffer.hpp"

namespace engine {

// On huge pages: decode attention reads every cached row of the context per step and layer
// (110M at 1024 positions: 75 MB), on 4 KB pages a TLB miss every 4 KB of it.
KvCache::KvCache(int n_layers, int max_batch, int capacity, int kv_dim)
    : max_batch_(max_batch),
      capacity_(capacity),
      kv_dim_(kv_dim),
      floats_(static_cast<std::size_t>(n_layers) * max_batch * capacity * kv_dim),
      storage_(std::make_unique<HugePageBuffer>(2 * floats_ * sizeof(float))),
      keys_(reinterpret_cast<float*>(storage_->data())),
      values_(keys_ + floats_) {}

KvCache::~KvCache() = default;
KvCache::KvCache(KvCache&&) noexcept = default;
KvCache& KvCache::operator=(KvCache&&) noexcept = default;

std::uint64_t KvCache::bytes() const {
  return 2 * floats_ * sizeof(float);
}

}  // namespace engine
