#include "engine/model/kv_cache.hpp"

namespace engine {

KvCache::KvCache(int n_layers, int max_batch, int capacity, int kv_dim)
    : max_batch_(max_batch), capacity_(capacity), kv_dim_(kv_dim) {
  const std::size_t floats = static_cast<std::size_t>(n_layers) * max_batch * capacity * kv_dim;
  keys_.resize(floats);
  values_.resize(floats);
}

std::uint64_t KvCache::bytes() const {
  return (keys_.size() + values_.size()) * sizeof(float);
}

}  // namespace engine
