// The tokenizer a GGUF file embeds in its tokenizer.ggml.* metadata.
#pragma once

#include <memory>

#include "engine/tokenizer.hpp"

namespace engine {

class GgufFile;

/// Builds the tokenizer of `gguf`: tokenizer.ggml.model `llama` gives SentencePiece BPE (tokens,
/// scores, token types), `gpt2` byte-level BPE (tokens, merges; GPT-2's pre-tokenizer only).
/// Throws engine::Error naming the file: bad_format for missing or inconsistent keys,
/// unsupported for other tokenizer models or pre-tokenizers.
std::unique_ptr<Tokenizer> read_gguf_tokenizer(const GgufFile& gguf);

}  // namespace engine
