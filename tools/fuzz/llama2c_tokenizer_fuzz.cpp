// libFuzzer target: the llama2.c tokenizer.bin reader and the SentencePiece BPE tokenizer built
// from what it read. Any input must parse or throw engine::Error; a tokenizer that builds must
// encode to ids in range and decode without a crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/error.hpp"
#include "exercise_tokenizer.hpp"
#include "tokenizer/llama2c_tokenizer_file.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const engine::SentencePieceBpe bpe(
        engine::read_llama2c_tokenizer(std::span<const std::uint8_t>(data, size), "fuzz.bin"),
        "fuzz.bin");
    engine::fuzz::exercise(bpe);
  } catch (const engine::Error&) {
  }
  return 0;
}
