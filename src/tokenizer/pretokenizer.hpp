// Byte-level BPE pre-tokenizers: how text is cut into words before the merges, one kind per
// regex family llama.cpp knows by GGUF's `tokenizer.ggml.pre`.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace engine {

enum class PreTokenizer {
  gpt2,            ///< GPT-2's regex (gpt-2, mpt, ...)
  llama3,          ///< Llama 3: numbers in groups of up to three, newlines kept with punctuation
  qwen2,           ///< Llama 3's regex with single digits
  starcoder,       ///< digits one by one, then GPT-2's regex (starcoder, refact, smollm, ...)
  falcon,          ///< punctuation runs, GPT-2's regex, then groups of three ASCII digits
  deepseek_llm,    ///< DeepSeek LLM's script-specific letter and punctuation classes
  deepseek_coder,  ///< DeepSeek Coder's letters, punctuation, CJK and single digits
  llama_default,   ///< llama.cpp's 'default': Falcon's rules plus number runs
};

/// What a GGUF `tokenizer.ggml.pre` value selects, with the defaults llama.cpp ties to the name.
struct PreTokenizerSpec {
  PreTokenizer kind;
  bool ignore_merges = false;  ///< a word that is a token is taken whole (Llama 3)
  bool add_bos = false;        ///< add_bos_token's default when the file does not say
};

/// The spec for a `tokenizer.ggml.pre` name, or nullopt when the name is not known.
std::optional<PreTokenizerSpec> find_pre_tokenizer(std::string_view name);

/// The words of `text`, in order; together they are exactly `text`.
std::vector<std::string_view> pretokenize(PreTokenizer kind, std::string_view text);

}  // namespace engine
