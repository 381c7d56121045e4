// libFuzzer target: one real vocabulary, loaded once, on arbitrary text. The vocabulary file is
// $ENGINE_FUZZ_VOCAB (any kind load_tokenizer reads: SentencePiece .model, tokenizer.bin, GGUF
// SentencePiece or byte-level BPE). Every input must encode to ids in range and decode without
// a crash. With ENGINE_FUZZ_ROUND_TRIP=1, set for the vocabularies the tokenizer tests show
// lossless (byte fallback, extra whitespace kept, or byte-level BPE), valid UTF-8 must also come
// back exactly: decode(encode(x)) == x, whole and streamed token by token. Text holding "▁"
// (U+2581) is left out of that check: SentencePiece spells the space with it, so it decodes as a
// space, as libsentencepiece's does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.hpp"
#include "engine/tokenizer.hpp"
#include "exercise_tokenizer.hpp"
#include "tokenizer/sentencepiece_normalizer.hpp"

namespace {

std::unique_ptr<engine::Tokenizer> tokenizer;
bool check_round_trip = false;

void check_round_trips(std::string_view text) {
  if (engine::fuzz::valid_utf8(text) && text.find(engine::kSpaceSymbol) == std::string_view::npos)
    engine::fuzz::require_round_trip(*tokenizer, text);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* vocab = std::getenv("ENGINE_FUZZ_VOCAB");
  if (!vocab) std::abort();
  tokenizer = engine::load_tokenizer(vocab);
  const char* round_trip = std::getenv("ENGINE_FUZZ_ROUND_TRIP");
  check_round_trip = round_trip && std::string_view(round_trip) == "1";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  engine::fuzz::encode_and_decode(*tokenizer, text);
  if (check_round_trip) check_round_trips(text);
  return 0;
}
