// Attention masks: which keys (columns) each query (row) may attend to.
//
// Convention throughout: 1 = may attend, 0 = masked. `subsequent_mask(size)` is the classic
// `1 - triu(ones(size, size), k=1)`: row i sees positions 0..i.
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

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  std::uint8_t at(int row, int col) const { return data_[index(row, col)]; }
  void set(int row, int col, bool allowed) { data_[index(row, col)] = allowed ? 1 : 0; }
  std::span<const std::uint8_t> row(int r) const;

  /// The row's allowed keys as one contiguous range, when they are one (a row with none gives
  /// an empty range); std::nullopt when the allowed keys have gaps. The attention kernel uses
  /// this to skip masked spans instead of reading them.
  std::optional<RowRange> row_range(int r) const;

  /// Element-wise logical AND of two masks of the same shape (combining mask kinds).
  Mask operator&(const Mask& other) const;
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

/// The mask printed the way numpy prints an integer matrix: "[[1 0 0]\n [1 1 0]\n [1 1 1]]".
std::string to_string(const Mask& mask);

}  // namespace engine
