// A session's KV cache: the keys and values of every layer for each sequence, `capacity` rows
// each. Position p is kept in row (slot) p % capacity. A full cache has the context length as
// its capacity, so position p is row p. A sliding-window cache is a ring just large enough for
// the window: each new position overwrites one no query can see any more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace engine {

class HugePageBuffer;

class KvCache {
 public:
  /// Zeroed storage for n_layers x max_batch x capacity rows of kv_dim keys and as many values,
  /// on transparent huge pages (attention streams them).
  KvCache(int n_layers, int max_batch, int capacity, int kv_dim);
  ~KvCache();
  KvCache(KvCache&&) noexcept;
  KvCache& operator=(KvCache&&) noexcept;

  /// Rows a sliding-window cache needs: a block of `block` queries writes its keys before
  /// attention runs, and its first query still sees the window - 1 positions before it, so the
  /// ring holds window + block - 1 rows. Decode steps (block 1) need exactly the window.
  static int window_capacity(int window, int block) { return window + block - 1; }

  /// Rows per layer and sequence.
  int capacity() const { return capacity_; }
  /// The row position `pos` is kept in.
  int slot(int pos) const { return pos % capacity_; }
  /// One layer's keys of one sequence: (capacity, kv_dim), position p in row slot(p).
  float* keys(int layer, int sequence) { return keys_ + offset(layer, sequence); }
  /// Its values, laid out likewise.
  float* values(int layer, int sequence) { return values_ + offset(layer, sequence); }
  /// The row that holds the key of position `pos`.
  float* key_row(int layer, int sequence, int pos) { return row(keys(layer, sequence), pos); }
  /// The row that holds the value of position `pos`.
  float* value_row(int layer, int sequence, int pos) { return row(values(layer, sequence), pos); }
  /// Bytes of the keys and values.
  std::uint64_t bytes() const;

 private:
  std::size_t offset(int layer, int sequence) const {
    return (static_cast<std::size_t>(layer) * max_batch_ + sequence) * capacity_ * kv_dim_;
  }
  float* row(float* rows, int pos) const {
    return rows + static_cast<std::size_t>(slot(pos)) * kv_dim_;
  }

  int max_batch_;
  int capacity_;
  int kv_dim_;
  std::size_t floats_;                       // of the keys, and of the values
  std::unique_ptr<HugePageBuffer> storage_;  // the keys, then the values
  float* keys_;                              // (layer, max_batch, capacity, kv_dim)
  float* values_;                            // (layer, max_batch, capacity, kv_dim)
};

}  // namespace engine
