// The text of one completion as it grows token by token: ends it at a stop string (as
// engine::generate does) and hands out only bytes that are final, holding back a tail that might
// still become a stop string or that ends inside a UTF-8 character, so no stream ever shows a
// stop string's first half or half a character.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace engine::server {

class TextStream {
 public:
  explicit TextStream(std::vector<std::string> stop);

  /// Appends a token's bytes. Returns true when they complete a stop string: the text then ends
  /// before it (the first listed stop string that the new bytes complete, as generate() picks).
  bool append(std::string_view piece);
  /// The bytes after those taken before that no later token can change.
  std::string take_ready();
  /// Every byte not taken yet: the end of the completion.
  std::string take_rest();
  /// The whole text so far.
  const std::string& text() const { return text_; }

 private:
  // Bytes at the end of the text that could still be the start of a stop string or are the
  // start of an unfinished UTF-8 character.
  std::size_t held_back() const;

  std::vector<std::string> stop_;
  std::string text_;
  std::size_t taken_ = 0;  // bytes of text_ already handed out
};

}  // namespace engine::server
