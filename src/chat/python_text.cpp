#include "chat/python_text.hpp"

#include <algorithm>

#include "engine/error.hpp"

namespace engine::jinja {
namespace {

std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xe) return 3;
  if ((lead >> 3) == 0x1e) return 4;
  return 1;
}

char32_t decode(std::string_view cp) {
  const auto byte = [&](std::size_t i) { return static_cast<char32_t>(cp[i] & 0x3f); };
  const auto lead = static_cast<unsigned char>(cp[0]);
  switch (cp.size()) {
    case 2:
      return (char32_t{lead} & 0x1f) << 6 | byte(1);
    case 3:
      return (char32_t{lead} & 0x0f) << 12 | byte(1) << 6 | byte(2);
    case 4:
      return (char32_t{lead} & 0x07) << 18 | byte(1) << 12 | byte(2) << 6 | byte(3);
    default:
      return lead;
  }
}

// str.isspace() for one code point.
bool is_space(std::string_view cp) {
  const char32_t c = decode(cp);
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

}  // namespace

std::vector<std::string_view> code_points(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = sequence_length(static_cast<unsigned char>(text[i]));
    if (i + n > text.size()) n = 1;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) n = 1;
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

std::size_t leading_space(std::string_view text) {
  std::size_t bytes = 0;
  for (std::string_view cp : code_points(text)) {
    if (!is_space(cp)) break;
    bytes += cp.size();
  }
  return bytes;
}

std::string strip(std::string_view text, bool left, bool right,
                  const std::optional<std::string>& chars) {
  const auto cps = code_points(text);
  const auto strippable = [&](std::string_view cp) {
    if (!chars) return is_space(cp);
    for (std::string_view c : code_points(*chars))
      if (c == cp) return true;
    return false;
  };
  std::size_t begin = 0, end = cps.size();
  while (left && begin < end && strippable(cps[begin])) ++begin;
  while (right && end > begin && strippable(cps[end - 1])) --end;
  std::string out;
  for (std::size_t i = begin; i < end; ++i) out += cps[i];
  return out;
}

std::vector<std::string> split(std::string_view text, const std::optional<std::string>& sep,
                               int max_split) {
  std::vector<std::string> out;
  if (sep) {
    if (sep->empty()) throw Error(ErrorCode::invalid_argument, "split(): empty separator");
    std::size_t start = 0;
    for (std::size_t at; (max_split < 0 || static_cast<int>(out.size()) < max_split) &&
                         (at = text.find(*sep, start)) != std::string_view::npos;) {
      out.emplace_back(text.substr(start, at - start));
      start = at + sep->size();
    }
    out.emplace_back(text.substr(start));
    return out;
  }
  const auto cps = code_points(text);
  std::size_t i = 0;
  while (i < cps.size()) {
    while (i < cps.size() && is_space(cps[i])) ++i;
    if (i == cps.size()) break;
    std::string word;
    if (max_split >= 0 && static_cast<int>(out.size()) == max_split) {
      // The rest, trailing whitespace stripped, is the last part.
      for (; i < cps.size(); ++i) word += cps[i];
      out.push_back(strip(word, false, true));
      break;
    }
    for (; i < cps.size() && !is_space(cps[i]); ++i) word += cps[i];
    out.push_back(std::move(word));
  }
  return out;
}

std::string replace(std::string_view text, std::string_view from, std::string_view to, long count) {
  std::string out;
  if (from.empty()) {
    // Python inserts `to` before every code point and at the end.
    long done = 0;
    for (std::string_view cp : code_points(text)) {
      if (count < 0 || done++ < count) out += to;
      out += cp;
    }
    if (count < 0 || done < count) out += to;
    return out;
  }
  std::size_t start = 0;
  for (long done = 0; count < 0 || done < count; ++done) {
    const std::size_t at = text.find(from, start);
    if (at == std::string_view::npos) break;
    out.append(text.substr(start, at - start)).append(to);
    start = at + from.size();
  }
  return out.append(text.substr(start));
}

std::vector<std::size_t> slice_positions(long size, std::optional<long> start,
                                         std::optional<long> stop, std::optional<long> step) {
  const long s = step.value_or(1);
  if (s == 0) throw Error(ErrorCode::invalid_argument, "slice step cannot be zero");
  const auto clamp = [&](std::optional<long> index, long fallback, long low, long high) {
    if (!index) return fallback;
    long i = *index < 0 ? *index + size : *index;
    return std::clamp(i, low, high);
  };
  std::vector<std::size_t> out;
  if (s > 0) {
    const long begin = clamp(start, 0, 0, size), end = clamp(stop, size, 0, size);
    for (long i = begin; i < end; i += s) out.push_back(static_cast<std::size_t>(i));
  } else {
    const long begin = clamp(start, size - 1, -1, size - 1), end = clamp(stop, -1, -1, size - 1);
    for (long i = begin; i > end; i += s) out.push_back(static_cast<std::size_t>(i));
  }
  return out;
}

}  // namespace engine::jinja
