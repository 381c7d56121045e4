// GPT-2's pre-tokenizer: the text is split into words before BPE, so merges never cross them.
#pragma once

#include <string_view>
#include <vector>

namespace engine {

/// Splits `text` as GPT-2's regex does, hand-implemented on Unicode classes:
///   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// The pieces are consecutive views of `text` covering all of it. A malformed UTF-8 byte counts
/// as one character of no class (it falls in [^\s\p{L}\p{N}]).
std::vector<std::string_view> gpt2_pretokenize(std::string_view text);

}  // namespace engine
