// Reader for SentencePiece .model files (a serialized sentencepiece.ModelProto).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tokenizer/sentencepiece_bpe.hpp"

namespace engine {

/// Whether `bytes` start like a ModelProto rather than a llama2.c tokenizer.bin: a .model opens
/// with the tag 0x0a of its first piece, then that piece's length and its own tags, so its first
/// four bytes read as a huge int32, where a tokenizer.bin opens with a small max_token_length.
bool looks_like_sentencepiece_model(std::span<const std::uint8_t> bytes);

/// Parses the pieces, TrainerSpec and NormalizerSpec of a .model. Throws engine::Error naming
/// `source`: bad_format when malformed, unsupported for valid models this reader cannot run
/// (not BPE, or a normalizer that needs its precompiled charsmap, such as nmt_nfkc).
SentencePieceVocabulary read_sentencepiece_model(std::span<const std::uint8_t> bytes,
                                                 std::string_view source);

}  // namespace engine
