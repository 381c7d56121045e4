// SentencePiece's text normalization for models without a precompiled charsmap ("identity"):
// whitespace handling, the dummy prefix and the escaping of spaces as U+2581 "▁".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace engine {

/// U+2581 LOWER ONE EIGHTH BLOCK: how SentencePiece pieces spell a space.
inline constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";

/// NormalizerSpec fields that matter once the charsmap is the identity.
struct NormalizerOptions {
  bool add_dummy_prefix = true;          ///< "world" alone encodes like " world" in a sentence
  bool remove_extra_whitespaces = true;  ///< drop leading, trailing and repeated spaces
};

/// Bytes in the UTF-8 character at the start of `text` (not empty), or 0 when it is malformed,
/// with libsentencepiece's rules (no overlong forms, surrogates or code points past U+10FFFF).
std::size_t utf8_char_size(std::string_view text);

/// The text the BPE merges run on: spaces escaped as "▁", malformed UTF-8 bytes replaced one by
/// one with U+FFFD as libsentencepiece does, and the options applied. Empty text stays empty.
std::string normalize(std::string_view text, const NormalizerOptions& options);

}  // namespace engine
