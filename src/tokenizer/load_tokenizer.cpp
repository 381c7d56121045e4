// load_tokenizer: picks the reader from the file's first bytes, not from its name (a GGUF model
// file brings its own vocabulary).
#include <fmt/format.h>

#include <memory>
#include <span>

#include "engine/error.hpp"
#include "engine/tokenizer.hpp"
#include "format/gguf_file.hpp"
#include "tokenizer/gguf_tokenizer.hpp"
#include "tokenizer/llama2c_tokenizer_file.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"
#include "tokenizer/sentencepiece_model_file.hpp"
#include "util/log.hpp"
#include "util/mapped_file.hpp"

namespace engine {

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path) {
  const MappedFile file(path);
  const std::span<const std::uint8_t> bytes(file.data(), file.size());
  if (bytes.empty()) throw Error(ErrorCode::bad_format, fmt::format("{}: empty file", path));
  if (has_gguf_magic(bytes)) {
    auto tokenizer = read_gguf_tokenizer(GgufFile(bytes, path));
    log::debug("{}: GGUF tokenizer, {} tokens, pre-tokenizer {}, bos {}, eos {}", path,
               tokenizer->vocab_size(), tokenizer->pre_tokenizer(), tokenizer->bos_id(),
               tokenizer->eos_id());
    return tokenizer;
  }
  const bool is_model = looks_like_sentencepiece_model(bytes);
  // The vocabulary is copied out of the mapping, which is released on return.
  auto tokenizer = std::make_unique<SentencePieceBpe>(
      is_model ? read_sentencepiece_model(bytes, path) : read_llama2c_tokenizer(bytes, path), path);
  log::debug("{}: {} tokenizer, {} pieces, bos {}, eos {}", path,
             is_model ? "SentencePiece .model" : "llama2.c tokenizer.bin", tokenizer->vocab_size(),
             tokenizer->bos_id(), tokenizer->eos_id());
  return tokenizer;
}

}  // namespace engine
