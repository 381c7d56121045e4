// libFuzzer target: the GGUF reader and the tokenizers built from GGUF metadata. Any input must
// parse or throw engine::Error; everything parsed is then touched (every metadata value, the
// first and last byte of every tensor, the tokenizer on a few strings, its ids in range) so that
// ASan sees any view that points outside the input.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "engine/error.hpp"
#include "exercise_tokenizer.hpp"
#include "format/gguf_file.hpp"
#include "tokenizer/gguf_tokenizer.hpp"

namespace {

std::size_t touch(const engine::GgufValue& value) {
  std::size_t sum = value.describe().size();
  if (const auto s = value.to_string())
    sum += s->empty() ? 0 : static_cast<unsigned char>(s->back());
  sum += value.to_uint().value_or(0) + static_cast<std::size_t>(value.to_float().value_or(0) != 0) +
         value.to_bool().value_or(false);
  if (value.type() == engine::GgufType::array)
    for (std::uint64_t i = 0; i < value.size(); ++i) sum += touch(value.element(i));
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const engine::GgufFile gguf(std::span<const std::uint8_t>(data, size), "fuzz.gguf");
    std::size_t sum = 0;
    for (const std::string_view key : gguf.keys()) sum += touch(*gguf.find_value(key));
    for (const engine::GgufTensorInfo& t : gguf.tensors()) sum += t.data[0] + t.data[t.bytes - 1];
    sum += engine::fuzz::exercise(*engine::read_gguf_tokenizer(gguf));
    volatile std::size_t sink = sum;
    (void)sink;
  } catch (const engine::Error&) {
  }
  return 0;
}
