// libFuzzer target: the SentencePiece .model reader (our own protobuf parser) and the tokenizer
// built from what it read. Any input must parse or throw engine::Error.
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/error.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"
#include "tokenizer/sentencepiece_model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const engine::SentencePieceBpe bpe(
        engine::read_sentencepiece_model(std::span<const std::uint8_t>(data, size), "fuzz.model"),
        "fuzz.model");
    const engine::Tokenizer& tokenizer = bpe;
    for (const char* text :
         {"Hello world", "  two  spaces\n", "\xff caf\xc3\xa9 <s> \xf0\x9f\x99\x82"})
      tokenizer.decode(tokenizer.encode(text, true, true));  // the Tokenizer's sequence decode
  } catch (const engine::Error&) {
  }
  return 0;
}
