// libFuzzer target: load_tokenizer, the dispatcher that tells a GGUF file, a SentencePiece .model
// and a llama2.c tokenizer.bin apart by their first bytes and hands them to their reader. Any
// input must load or throw engine::Error; a tokenizer that loads must encode to ids in range and
// decode without a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/error.hpp"
#include "engine/log.hpp"
#include "engine/tokenizer.hpp"
#include "exercise_tokenizer.hpp"
#include "memory_file.hpp"

// The loader's debug lines are formatted but not printed.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  engine::set_log_level(engine::LogLevel::debug);
  engine::set_log_sink([](engine::LogLevel, std::string_view) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static engine::fuzz::MemoryFile file("tokenizer");
  file.assign(data, size);
  try {
    engine::fuzz::exercise(*engine::load_tokenizer(file.path()));
  } catch (const engine::Error&) {
  }
  return 0;
}
