// libFuzzer target: the SentencePiece .model reader (our own protobuf parser) and the tokenizer
// built from what it read. Any input must parse or throw engine::Error; a tokenizer that builds
// must encode to ids in range and decode without a crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/error.hpp"
#include "exercise_tokenizer.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"
#include "tokenizer/sentencepiece_model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const engine::SentencePieceBpe bpe(
        engine::read_sentencepiece_model(std::span<const std::uint8_t>(data, size), "fuzz.model"),
        "fuzz.model");
    engine::fuzz::exercise(bpe);
  } catch (const engine::Error&) {
  }
  return 0;
}
