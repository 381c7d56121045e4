#include "engine/attention/mask.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"

namespace engine {

Mask::Mask(int rows, int cols, std::uint8_t fill) : rows_(rows), cols_(cols) {
  if (rows < 0 || cols < 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("mask shape must be non-negative, got ({}, {})", rows, cols));
  data_.assign(static_cast<std::size_t>(rows) * cols, fill ? 1 : 0);
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
  if (rows_ != other.rows_ || cols_ != other.cols_)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("cannot combine a ({}, {}) mask with a ({}, {}) mask", rows_, cols_,
                            other.rows_, other.cols_));
  Mask out = *this;
  for (std::size_t i = 0; i < data_.size(); ++i) out.data_[i] &= other.data_[i];
  return out;
}

Mask triu(int size, int k) {
  Mask mask(size, size, 0);
  for (int r = 0; r < size; ++r)
    for (int c = 0; c < size; ++c) mask.set(r, c, c - r >= k);
  return mask;
}

Mask subsequent_mask(int size) {
  Mask mask = triu(size, 1);
  for (int r = 0; r < size; ++r)
    for (int c = 0; c < size; ++c) mask.set(r, c, !mask.at(r, c));
  return mask;
}

Mask causal_block_mask(int block, int cached) {
  if (cached < 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("cached length must be non-negative, got {}", cached));
  Mask mask(block, cached + block, 0);
  for (int r = 0; r < block; ++r)
    for (int c = 0; c <= cached + r; ++c) mask.set(r, c, true);
  return mask;
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

}  // namespace engine
