// A pre-tokenizer is a sequence of regexes, each splitting every piece the previous ones made:
// a piece is cut into the regex's matches and the gaps between them (Hugging Face's Split with
// the "isolated" behaviour, as llama.cpp's unicode_regex_split applies it).
#include "tokenizer/pretokenizer.hpp"

#include <span>
#include <utility>

#include "tokenizer/pretokenizer_regexes.hpp"
#include "tokenizer/text_chars.hpp"

namespace engine {
namespace {

using regexes::Matcher;

std::vector<Matcher> sequence_of(PreTokenizer kind) {
  using namespace regexes;
  switch (kind) {
    case PreTokenizer::gpt2:
      return {gpt2};
    case PreTokenizer::llama3:
      return {llama3};
    case PreTokenizer::qwen2:
      return {qwen2};
    case PreTokenizer::starcoder:
      return {one_number, gpt2};
    case PreTokenizer::falcon:
      return {falcon_punctuation, gpt2, three_ascii_digits};
    case PreTokenizer::deepseek_llm:
      return {one_cr_or_lf,
              space_then_cased_letters,
              space_then_ascii_and_fullwidth_punctuation,
              trailing_spaces,
              cjk,
              numbers};
    case PreTokenizer::deepseek_coder:
      return {one_cr_or_lf, space_then_letters, space_then_punctuation, cjk, one_number};
    case PreTokenizer::llama_default:
      return {default_punctuation, gpt2, numbers, three_ascii_digits};
  }
  return {};
}

// Piece boundaries are character indexes [begin, end).
using Piece = std::pair<std::size_t, std::size_t>;

void split(std::span<const TextChar> chars, Matcher matcher, const std::vector<Piece>& pieces,
           std::vector<Piece>& out) {
  out.clear();
  for (const auto& [begin, end] : pieces) {
    const std::span<const TextChar> piece = chars.subspan(begin, end - begin);
    std::size_t gap = 0;
    for (std::size_t i = 0; i < piece.size();) {
      const std::size_t match = matcher(piece, i);
      if (match == i) {
        ++i;
        continue;
      }
      if (gap < i) out.emplace_back(begin + gap, begin + i);
      out.emplace_back(begin + i, begin + match);
      i = gap = match;
    }
    if (gap < piece.size()) out.emplace_back(begin + gap, end);
  }
}

}  // namespace

std::optional<PreTokenizerSpec> find_pre_tokenizer(std::string_view name) {
  // The names llama.cpp (src/llama-vocab.cpp) maps to these regexes with no other behaviour.
  static constexpr std::pair<std::string_view, PreTokenizerSpec> kNames[] = {
      {"default", {PreTokenizer::llama_default}},
      {"gpt-2", {PreTokenizer::gpt2}},
      {"mpt", {PreTokenizer::gpt2}},
      {"phi-2", {PreTokenizer::gpt2}},
      {"olmo", {PreTokenizer::gpt2}},
      {"roberta-bpe", {PreTokenizer::gpt2}},
      {"llama-bpe", {PreTokenizer::llama3, true, true}},
      {"llama3", {PreTokenizer::llama3, true, true}},
      {"llama-v3", {PreTokenizer::llama3, true, true}},
      {"falcon3", {PreTokenizer::llama3, true, true}},
      {"dbrx", {PreTokenizer::llama3}},
      {"smaug-bpe", {PreTokenizer::llama3}},
      {"qwen2", {PreTokenizer::qwen2}},
      {"deepseek-r1-qwen", {PreTokenizer::qwen2}},
      {"stablelm2", {PreTokenizer::qwen2}},
      {"megrez", {PreTokenizer::qwen2}},
      {"starcoder", {PreTokenizer::starcoder}},
      {"refact", {PreTokenizer::starcoder}},
      {"smollm", {PreTokenizer::starcoder}},
      {"codeshell", {PreTokenizer::starcoder}},
      {"minerva-7b", {PreTokenizer::starcoder}},
      {"falcon", {PreTokenizer::falcon}},
      {"deepseek-llm", {PreTokenizer::deepseek_llm}},
      {"deepseek-coder", {PreTokenizer::deepseek_coder}},
  };
  for (const auto& [known, spec] : kNames)
    if (known == name) return spec;
  return std::nullopt;
}

std::vector<std::string_view> pretokenize(PreTokenizer kind, std::string_view text) {
  const std::vector<TextChar> chars = decode_text_chars(text);
  std::vector<Piece> pieces;
  if (!chars.empty()) pieces.emplace_back(0, chars.size());
  std::vector<Piece> next;
  for (const Matcher matcher : sequence_of(kind)) {
    split(chars, matcher, pieces, next);
    std::swap(pieces, next);
  }
  std::vector<std::string_view> words;
  words.reserve(pieces.size());
  for (const auto& [begin, end] : pieces) {
    const std::size_t to = end < chars.size() ? chars[end].offset : text.size();
    words.push_back(text.substr(chars[begin].offset, to - chars[begin].offset));
  }
  return words;
}

}  // namespace engine
