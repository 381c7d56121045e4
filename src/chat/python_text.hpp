// Python's str semantics over UTF-8 bytes where chat templates rely on them: indexing, slicing
// and len() count code points, and strip()/split() use Unicode whitespace.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine::jinja {

/// The UTF-8 text split into one string per code point (invalid bytes stand alone).
std::vector<std::string_view> code_points(std::string_view text);

/// The bytes of whitespace (str.isspace) that `text` starts with.
std::size_t leading_space(std::string_view text);

/// str.strip/lstrip/rstrip: without `chars`, Unicode whitespace; with them, any of their
/// code points.
std::string strip(std::string_view text, bool left, bool right,
                  const std::optional<std::string>& chars = std::nullopt);

/// str.split(): on runs of whitespace (no separator) or on every `sep` (non-empty), at most
/// `max_split` times when >= 0.
std::vector<std::string> split(std::string_view text, const std::optional<std::string>& sep,
                               int max_split = -1);

/// str.replace(old, new, count): `count` < 0 replaces all.
std::string replace(std::string_view text, std::string_view from, std::string_view to,
                    long count = -1);

/// Python's slice indices for a sequence of `size`: the positions [start:stop:step] selects.
std::vector<std::size_t> slice_positions(long size, std::optional<long> start,
                                         std::optional<long> stop, std::optional<long> step);

}  // namespace engine::jinja
