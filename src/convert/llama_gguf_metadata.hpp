// The metadata of a `llama` GGUF as llama.cpp writes it: hyper-parameters under llama.* and a
// SentencePiece vocabulary under tokenizer.ggml.*, shared by the commands that write GGUFs
// (engine::convert, engine synth).
#pragma once

#include <string_view>

#include "engine/model/config.hpp"
#include "format/gguf_writer.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"

namespace engine {

/// general.architecture = llama, general.name and the llama.* hyper-parameters of `c`.
void add_llama_metadata(GgufWriter& out, const ModelConfig& c, std::string_view name);

/// The vocabulary with its scores, piece types, special ids and add-BOS flag.
void add_sentencepiece_vocabulary(GgufWriter& out, const SentencePieceBpe& vocab);

}  // namespace engine
