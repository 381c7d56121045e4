// Mask kinds (causal, triu, padding, sliding window, prefix-LM, custom) and numpy-style printing.
#include "engine/attention/mask.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/error.hpp"

namespace engine {
namespace {

// The message is only formatted on failure: the decode loop checks shapes every step.
template <typename... Args>
void require(bool ok, fmt::format_string<Args...> format, Args&&... args) {
  if (!ok)
    throw Error(ErrorCode::invalid_argument, fmt::format(format, std::forward<Args>(args)...));
}

/// Makes `mask` the (rows, cols) mask whose entry (r, c) is allowed(r, c): every kind is one
/// rule. The mask's storage is reused, so a decode step allocates nothing.
template <class Allowed>
void fill_where(Mask& mask, int rows, int cols, Allowed allowed) {
  mask.reset(rows, cols, 0);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) mask.set(r, c, allowed(r, c));
}

template <class Allowed>
Mask mask_where(int rows, int cols, Allowed allowed) {
  Mask mask;
  fill_where(mask, rows, cols, allowed);
  return mask;
}

/// The mask of a block of `block` queries after `cached` keys in the slots of a ring cache of
/// `capacity` rows (see the ring form in mask.hpp), where allowed(p, c) says whether the query
/// at sequence position p may see the key at position c. The first `padded` rows of the block
/// are left padding that is never cached: they see nothing, and positions count the block's
/// other rows only.
template <class Allowed>
void fill_ring_where(Mask& mask, int block, int cached, int capacity, Allowed allowed,
                     int padded = 0) {
  require(cached >= 0, "cached length must be non-negative, got {}", cached);
  require(capacity >= 1, "cache capacity must be at least 1, got {}", capacity);
  const int keys = cached + block - padded;  // positions in the cache after this block
  const int newest = keys - 1;
  const bool wrapped = keys > capacity;
  // A block of padding alone before any real key: one fully masked column, not an empty mask.
  const int columns = std::min(capacity, std::max(keys, padded > 0 ? 1 : 0));
  fill_where(mask, block, columns, [&](int r, int j) {
    return r >= padded &&
           allowed(cached + r - padded, wrapped ? newest - (newest - j) % capacity : j);
  });
}

/// The block form: a ring that holds every position, so column c is key c.
template <class Allowed>
void fill_block_where(Mask& mask, int block, int cached, Allowed allowed) {
  fill_ring_where(mask, block, cached, std::max(1, cached + block), allowed);
}

template <class Allowed>
Mask block_mask_where(int block, int cached, Allowed allowed) {
  Mask mask;
  fill_block_where(mask, block, cached, allowed);
  return mask;
}

}  // namespace

Mask::Mask(int rows, int cols, std::uint8_t fill) {
  reset(rows, cols, fill);
}

void Mask::reset(int rows, int cols, std::uint8_t fill) {
  require(rows >= 0 && cols >= 0, "mask shape must be non-negative, got ({}, {})", rows, cols);
  rows_ = rows;
  cols_ = cols;
  data_.assign(static_cast<std::size_t>(rows) * cols, fill ? 1 : 0);
}

Mask::Mask(const std::vector<std::vector<int>>& rows)
    : Mask(static_cast<int>(rows.size()), rows.empty() ? 0 : static_cast<int>(rows[0].size()), 0) {
  for (int r = 0; r < rows_; ++r) {
    require(static_cast<int>(rows[r].size()) == cols_, "mask row {} has {} entries, row 0 has {}",
            r, rows[r].size(), cols_);
    for (int c = 0; c < cols_; ++c) {
      const int v = rows[r][c];
      require(v == 0 || v == 1, "mask entry ({}, {}) is {}, not 0 or 1", r, c, v);
      set(r, c, v == 1);
    }
  }
}

std::span<const std::uint8_t> Mask::row(int r) const {
  return {data_.data() + index(r, 0), static_cast<std::size_t>(cols_)};
}

std::optional<RowRange> Mask::row_range(int r) const {
  const auto values = row(r);
  int begin = 0;
  while (begin < cols_ && !values[begin]) ++begin;
  int end = begin;
  while (end < cols_ && values[end]) ++end;
  for (int c = end; c < cols_; ++c)
    if (values[c]) return std::nullopt;
  if (begin == end) return RowRange{0, 0};
  return RowRange{begin, end};
}

Mask Mask::operator&(const Mask& other) const {
  Mask out = *this;
  return out &= other;
}

Mask& Mask::operator&=(const Mask& other) {
  require(rows_ == other.rows_ && cols_ == other.cols_,
          "cannot combine a ({}, {}) mask with a ({}, {}) mask", rows_, cols_, other.rows_,
          other.cols_);
  for (std::size_t i = 0; i < data_.size(); ++i) data_[i] &= other.data_[i];
  return *this;
}

Mask triu(int size, int k) {
  return mask_where(size, size, [k](int r, int c) { return c - r >= k; });
}

Mask subsequent_mask(int size) {
  const Mask upper = triu(size, 1);
  return mask_where(size, size, [&](int r, int c) { return upper.at(r, c) == 0; });
}

void causal_block_mask(Mask& out, int block, int cached) {
  fill_block_where(out, block, cached, [](int p, int c) { return c <= p; });
}

Mask causal_block_mask(int block, int cached) {
  Mask mask;
  causal_block_mask(mask, block, cached);
  return mask;
}

void padding_block_mask(Mask& out, int block, int cached, int padding) {
  require(padding >= 0 && padding <= cached + block, "padding must be in [0, {}], got {}",
          cached + block, padding);
  fill_block_where(out, block, cached,
                   [padding](int p, int c) { return p >= padding && c >= padding; });
}

Mask padding_block_mask(int block, int cached, int padding) {
  Mask mask;
  padding_block_mask(mask, block, cached, padding);
  return mask;
}

Mask padding_mask(int valid_length, int size) {
  require(valid_length >= 0 && valid_length <= size, "valid length must be in [0, {}], got {}",
          size, valid_length);
  return padding_block_mask(size, 0, size - valid_length);
}

std::vector<Mask> padding_masks(const std::vector<int>& valid_lengths, int size) {
  std::vector<Mask> masks;
  masks.reserve(valid_lengths.size());
  for (int length : valid_lengths) masks.push_back(padding_mask(length, size));
  return masks;
}

Mask sliding_window_block_mask(int block, int cached, int window) {
  Mask mask;
  sliding_window_ring_mask(mask, block, cached, window, std::max(1, cached + block));
  return mask;
}

void sliding_window_ring_mask(Mask& out, int block, int cached, int window, int capacity) {
  padded_sliding_window_ring_mask(out, block, cached, 0, window, capacity);
}

void padded_sliding_window_ring_mask(Mask& out, int block, int cached, int padding, int window,
                                     int capacity) {
  require(window >= 1, "window must be at least 1, got {}", window);
  require(padding >= 0, "padding must be non-negative, got {}", padding);
  // In the sequence's own positions (position - padding): the padded rows of this block come
  // first, then `real` rows after `real_cached` real keys.
  const int padded = std::clamp(padding - cached, 0, block);
  const int real_cached = std::max(0, cached - padding), real = block - padded;
  require(capacity >= window + real - 1 || capacity >= real_cached + real,
          "a ring of {} rows cannot hold a window of {} for a block of {}", capacity, window, real);
  fill_ring_where(
      out, block, real_cached, capacity,
      [window](int p, int c) { return c <= p && p - c < window; }, padded);
}

Mask sliding_window_mask(int size, int window) {
  return sliding_window_block_mask(size, 0, window);
}

Mask prefix_lm_block_mask(int block, int cached, int prefix) {
  require(prefix >= 0, "prefix must be non-negative, got {}", prefix);
  return block_mask_where(block, cached,
                          [prefix](int p, int c) { return c <= std::max(p, prefix - 1); });
}

Mask prefix_lm_mask(int size, int prefix) {
  return prefix_lm_block_mask(size, 0, prefix);
}

std::string to_string(const Mask& mask) {
  std::string out = "[";
  for (int r = 0; r < mask.rows(); ++r) {
    out += r == 0 ? "[" : " [";
    for (int c = 0; c < mask.cols(); ++c) {
      if (c) out += ' ';
      out += mask.at(r, c) ? '1' : '0';
    }
    out += r + 1 < mask.rows() ? "]\n" : "]";
  }
  return out + "]";
}

std::string to_string(std::span<const Mask> masks) {
  std::string out = "[";
  for (std::size_t b = 0; b < masks.size(); ++b) {
    if (b) out += "\n\n ";
    // One level deeper than a lone matrix: its continuation lines gain one space of indent.
    for (char ch : to_string(masks[b])) out += ch == '\n' ? std::string("\n ") : std::string(1, ch);
  }
  return out + "]";
}

}  // namespace engine
