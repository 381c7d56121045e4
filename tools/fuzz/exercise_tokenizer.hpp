// What every tokenizer-reading target does with a tokenizer it managed to build: encode a few
// fixed texts, require every id in range, and decode them back (whole and token by token).
#pragma once

#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer.hpp"
#include "tokenizer/sentencepiece_normalizer.hpp"

namespace engine::fuzz {

/// Aborts (a libFuzzer crash) unless every id is in [0, vocab_size).
inline void require_ids_in_range(const Tokenizer& tokenizer, std::span<const int> ids) {
  for (const int id : ids)
    if (id < 0 || id >= tokenizer.vocab_size()) std::abort();
}

/// Runs `text` through encode and both decodes; returns the decoded text.
inline std::string encode_and_decode(const Tokenizer& tokenizer, std::string_view text) {
  const std::vector<int> ids = tokenizer.encode(text, true, true);
  require_ids_in_range(tokenizer, ids);
  std::string streamed;
  for (std::size_t i = 0; i < ids.size(); ++i)
    streamed += tokenizer.decode(i == 0 ? tokenizer.bos_id() : ids[i - 1], ids[i]);
  for (const int id : ids) streamed += tokenizer.piece(id);
  return tokenizer.decode(ids) + streamed;
}

/// Whether `text` is valid UTF-8.
inline bool valid_utf8(std::string_view text) {
  while (!text.empty()) {
    const std::size_t n = utf8_char_size(text);
    if (n == 0) return false;
    text.remove_prefix(n);
  }
  return true;
}

/// Aborts unless `text` comes back exactly: decode(encode(text)) == text, whole and streamed
/// token by token.
inline void require_round_trip(const Tokenizer& tokenizer, std::string_view text) {
  const std::vector<int> ids = tokenizer.encode(text, false, false);
  if (tokenizer.decode(ids) != text) std::abort();
  std::string streamed;
  for (std::size_t i = 0; i < ids.size(); ++i)
    streamed += tokenizer.decode(i == 0 ? tokenizer.bos_id() : ids[i - 1], ids[i]);
  if (streamed != text) std::abort();
}

/// A few texts that reach the normalizer, the pre-tokenizer, byte fallback and the special
/// spellings (valid and malformed UTF-8).
inline std::size_t exercise(const Tokenizer& tokenizer) {
  std::size_t bytes = 0;
  for (const std::string_view text :
       {"Hello world", "  two  spaces\n\n it's 42", "<s></s><unk> <0x0A>",
        "\xff\xfe caf\xc3\xa9 \xe2\x96\x81 \xf0\x9f\x99\x82"})
    bytes += encode_and_decode(tokenizer, text).size();
  return bytes;
}

}  // namespace engine::fuzz
