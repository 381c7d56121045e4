#include "server/text_stream.hpp"

#include <algorithm>
#include <utility>

namespace engine::server {
namespace {

// Bytes at the end of `text` that start a UTF-8 character whose continuation bytes have not come
// yet (0 when the text ends on a whole character, or on bytes that are not UTF-8 at all).
std::size_t unfinished_utf8(std::string_view text) {
  const std::size_t n = text.size();
  for (std::size_t back = 1; back <= std::min<std::size_t>(3, n); ++back) {
    const auto byte = static_cast<unsigned char>(text[n - back]);
    if ((byte & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    const std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

}  // namespace

TextStream::TextStream(std::vector<std::string> stop) : stop_(std::move(stop)) {
  std::erase_if(stop_, [](const std::string& s) { return s.empty(); });
}

bool TextStream::append(std::string_view piece) {
  text_ += piece;
  for (const std::string& s : stop_) {
    // Only a match that ends inside the new bytes is new.
    const std::size_t from =
        text_.size() > piece.size() + s.size() ? text_.size() - piece.size() - s.size() : 0;
    const std::size_t at = text_.find(s, from);
    if (at != std::string::npos) {
      text_.resize(at);
      taken_ = std::min(taken_, text_.size());
      return true;
    }
  }
  return false;
}

std::size_t TextStream::held_back() const {
  const std::string_view pending = std::string_view(text_).substr(taken_);
  std::size_t held = unfinished_utf8(pending);
  for (const std::string& s : stop_) {
    // The longest end of the pending bytes that is a proper start of s.
    for (std::size_t k = std::min(pending.size(), s.size() - 1); k > held; --k)
      if (pending.substr(pending.size() - k) == std::string_view(s).substr(0, k)) {
        held = k;
        break;
      }
  }
  return held;
}

std::string TextStream::take_ready() {
  const std::size_t end = text_.size() - held_back();
  std::string ready = text_.substr(taken_, end - taken_);
  taken_ = end;
  return ready;
}

std::string TextStream::take_rest() {
  std::string rest = text_.substr(taken_);
  taken_ = text_.size();
  return rest;
}

}  // namespace engine::server
