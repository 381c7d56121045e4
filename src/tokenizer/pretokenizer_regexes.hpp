// The regexes byte-level BPE pre-tokenizers split text with, each matched by hand over classified
// characters: at a position the alternatives are tried in order with the greedy quantifiers a
// backtracking engine uses, so each function returns the end of the match the regex would find.
#pragma once

#include <cstddef>
#include <span>

#include "tokenizer/text_chars.hpp"

namespace engine::regexes {

/// The end of the regex's match starting at `i` within `piece` (lookahead stops at the piece's
/// end, which is also `$`), or `i` itself when the regex does not match there.
using Matcher = std::size_t (*)(std::span<const TextChar> piece, std::size_t i);

/// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
std::size_t gpt2(std::span<const TextChar> piece, std::size_t i);
/// Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
///          ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
std::size_t llama3(std::span<const TextChar> piece, std::size_t i);
/// Qwen2: Llama 3's regex with \p{N} instead of \p{N}{1,3}.
std::size_t qwen2(std::span<const TextChar> piece, std::size_t i);

/// \p{N}
std::size_t one_number(std::span<const TextChar> piece, std::size_t i);
/// \p{N}+
std::size_t numbers(std::span<const TextChar> piece, std::size_t i);
/// [0-9][0-9][0-9]
std::size_t three_ascii_digits(std::span<const TextChar> piece, std::size_t i);
/// [\p{P}\$\+<=>\^~\|`]+ (Falcon)
std::size_t falcon_punctuation(std::span<const TextChar> piece, std::size_t i);
/// [\p{P}\$\+<=>\^~\|]+ (llama.cpp's default)
std::size_t default_punctuation(std::span<const TextChar> piece, std::size_t i);

/// [\r\n]
std::size_t one_cr_or_lf(std::span<const TextChar> piece, std::size_t i);
/// \s?\p{L}+
std::size_t space_then_letters(std::span<const TextChar> piece, std::size_t i);
/// \s?\p{P}+
std::size_t space_then_punctuation(std::span<const TextChar> piece, std::size_t i);
/// [一-龥ࠀ-一가-퟿]+ (DeepSeek's CJK and Hangul ranges)
std::size_t cjk(std::span<const TextChar> piece, std::size_t i);
/// \s?[A-Za-zµÀ-ÖØ-öø-ƺ...]+ (DeepSeek LLM's cased-letter ranges)
std::size_t space_then_cased_letters(std::span<const TextChar> piece, std::size_t i);
/// \s?[!-/:-~！-／：-～‘-‟　-。]+ (DeepSeek LLM)
std::size_t space_then_ascii_and_fullwidth_punctuation(std::span<const TextChar> piece,
                                                       std::size_t i);
/// \s+$
std::size_t trailing_spaces(std::span<const TextChar> piece, std::size_t i);

}  // namespace engine::regexes
