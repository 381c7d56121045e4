// Reader for llama2.c's tokenizer.bin (written by its tokenizer.py export).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tokenizer/sentencepiece_bpe.hpp"

namespace engine {

/// Parses a tokenizer.bin: int32 max_token_length, then for each token up to the end of the file
/// {float32 score, int32 length, length bytes}. The file stores no piece types or normalizer
/// settings, so they are inferred as llama2.c assumes them: id 0 unknown, 1/2 BOS/EOS (control),
/// `<0xXX>` byte pieces, dummy prefix on, extra whitespace kept. `source` names the file in
/// errors (engine::Error, bad_format).
SentencePieceVocabulary read_llama2c_tokenizer(std::span<const std::uint8_t> bytes,
                                               std::string_view source);

}  // namespace engine
