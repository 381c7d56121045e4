// Attention masks: which keys (columns) each query (row) may attend to.
//
// Convention throughout: 1 = may attend, 0 = masked. `subsequent_mask(size)` is the classic
// `1 - triu(ones(size, size), k=1)`: row i sees positions 0..i.
//
// Every mask kind is defined once, in its "block" form: a block of `block` new queries that
// follow `cached` keys already in the KV cache, shape (block, cached + block), where row r is
// the query at position p = cached + r. The square (size, size) form of a kind is its block form
// with cached == 0. Kinds combine with `&` (e.g. padding & causal).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace engine {

/// A half-open range [begin, end) of key positions.
struct RowRange {
  int begin = 0;
  int end = 0;
  bool operator==(const RowRange&) const = default;
};

/// A dense (rows, cols) 0/1 matrix.
class Mask {
 public:
  Mask() = default;
  /// A rows x cols mask with every entry set to `fill` (0 or 1).
  Mask(int rows, int cols, std::uint8_t fill);
  /// A custom mask from the caller: rows[r][c] is 1 (may attend) or 0 (masked). Throws
  /// Error(invalid_argument) when the rows differ in length or an entry is not 0 or 1.
  explicit Mask(const std::vector<std::vector<int>>& rows);

  /// Queries.
  int rows() const { return rows_; }
  /// Keys.
  int cols() const { return cols_; }
  /// 1 if query `row` may attend to key `col`, else 0.
  std::uint8_t at(int row, int col) const { return data_[index(row, col)]; }
  /// Allows or masks one entry.
  void set(int row, int col, bool allowed) { data_[index(row, col)] = allowed ? 1 : 0; }
  /// Row r: one 0/1 byte per key.
  std::span<const std::uint8_t> row(int r) const;

  /// The row's allowed keys as one contiguous range, when they are one (a row with none gives
  /// an empty range); std::nullopt when the allowed keys have gaps. The attention kernel uses
  /// this to skip masked spans instead of reading them.
  std::optional<RowRange> row_range(int r) const;

  /// Element-wise logical AND of two masks of the same shape (combining mask kinds).
  Mask operator&(const Mask& other) const;
  Mask& operator&=(const Mask& other);

  /// Reshapes to (rows, cols) with every entry `fill`, reusing the storage (no allocation when
  /// it is large enough): what the decode loop does every step.
  void reset(int rows, int cols, std::uint8_t fill);
  /// Makes room for `entries` (rows x cols) without reallocating later.
  void reserve(std::size_t entries) { data_.reserve(entries); }
  bool operator==(const Mask&) const = default;

 private:
  std::size_t index(int row, int col) const { return static_cast<std::size_t>(row) * cols_ + col; }
  int rows_ = 0;
  int cols_ = 0;
  std::vector<std::uint8_t> data_;  // (rows, cols), row-major
};

/// numpy.triu(numpy.ones((size, size)), k): 1 where col - row >= k.
Mask triu(int size, int k);

/// 1 - triu(ones(size, size), k=1): the causal mask, row i sees keys 0..i.
Mask subsequent_mask(int size);

/// The causal mask of a block of `block` new queries that follow `cached` keys already in the
/// KV cache: shape (block, cached + block); row i sees keys 0..cached+i. With cached == 0 it is
/// subsequent_mask(block); with block == 1 (one decode step) it is a single all-ones row.
Mask causal_block_mask(int block, int cached);
/// The same, written into `out` (its storage reused).
void causal_block_mask(Mask& out, int block, int cached);

/// Left padding, block form: the first `padding` positions of the sequence are padding.
/// Shape (block, cached + block). Key columns < padding are 0 in every row, and the rows of
/// padded queries (position < padding) are fully masked (the Hugging Face convention: their
/// attention output is zeros, never NaN). Every other entry is 1: this is the padding mask
/// alone, not causal; combine it with `causal_block_mask(block, cached)` through `&`.
/// Throws unless 0 <= padding <= cached + block.
Mask padding_block_mask(int block, int cached, int padding);
/// The same, written into `out` (its storage reused).
void padding_block_mask(Mask& out, int block, int cached, int padding);

/// Left padding of one sequence of `valid_length` tokens in a row of `size` positions:
/// padding_block_mask(size, 0, size - valid_length), a (size, size) mask. For example
/// padding_mask(2, 4) is [[0 0 0 0] [0 0 0 0] [0 0 1 1] [0 0 1 1]].
/// Throws unless 0 <= valid_length <= size.
Mask padding_mask(int valid_length, int size);

/// padding_mask(valid_lengths[b], size) for each sequence b of a left-padded batch.
std::vector<Mask> padding_masks(const std::vector<int>& valid_lengths, int size);

/// Sliding-window attention, block form: the query at position p sees the last `window` keys
/// including itself, max(0, p - window + 1)..p. Shape (block, cached + block). With
/// window >= cached + block it equals causal_block_mask(block, cached). Throws unless window >= 1.
Mask sliding_window_block_mask(int block, int cached, int window);

/// sliding_window_block_mask(size, 0, window): row i sees keys max(0, i - window + 1)..i.
Mask sliding_window_mask(int size, int window);

// Ring form, for a KV cache of `capacity` rows that keeps position p in row (slot) p % capacity:
// after the block's keys are written, slot j holds the newest position <= cached + block - 1
// that is congruent to j. The ring form of a kind is its block form with the columns in slot
// order: shape (block, min(capacity, cached + block)), entry (r, j) = the block form's entry
// (r, position held in slot j). With capacity >= cached + block (nothing overwritten yet) it is
// the block form itself.

/// Sliding window, ring form. Throws unless window >= 1 and the ring keeps every key the block's
/// first query sees (capacity >= window + block - 1, or nothing overwritten yet).
void sliding_window_ring_mask(Mask& out, int block, int cached, int window, int capacity);

/// Sliding window over the ring of a left-padded sequence whose cache holds only its real
/// tokens (padding is never cached, so the ring is laid out as for the sequence alone and
/// batched attention equals unbatched bit for bit). The block's rows at positions < padding
/// see nothing; the others are sliding_window_ring_mask rows in the sequence's own positions
/// (position - padding): real_cached = max(0, cached - padding) keys before the block's
/// real rows. The padding may reach past the block (a padded prompt in chunks): then the
/// whole block is masked, shape (block, max(1, ...)). padding 0 is sliding_window_ring_mask.
void padded_sliding_window_ring_mask(Mask& out, int block, int cached, int padding, int window,
                                     int capacity);

/// Prefix-LM, block form: the first `prefix` positions attend bidirectionally among themselves,
/// the rest causally. The query at position p sees keys 0..max(p, prefix - 1), clamped to the
/// cached + block keys that exist. Shape (block, cached + block). prefix == 0 is causal.
/// Throws unless prefix >= 0.
Mask prefix_lm_block_mask(int block, int cached, int prefix);

/// prefix_lm_block_mask(size, 0, prefix): row i < prefix sees 0..prefix-1, row i >= prefix
/// sees 0..i.
Mask prefix_lm_mask(int size, int prefix);

/// The mask printed the way numpy prints an integer matrix: "[[1 0 0]\n [1 1 0]\n [1 1 1]]".
std::string to_string(const Mask& mask);

/// A batch of masks printed the way numpy prints the 3-D array numpy.stack(masks): each matrix
/// indented one more space, matrices separated by a blank line.
std::string to_string(std::span<const Mask> masks);

}  // namespace engine
