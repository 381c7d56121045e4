// libFuzzer target: arbitrary bytes through every byte-level BPE pre-tokenizer, alone and inside
// whole tokenizers. The tokenizers are every GGUF byte-level vocabulary of $ENGINE_FUZZ_VOCAB_DIR
// (models/llamacpp-vocab: llama-bpe, qwen2, starcoder, refact, deepseek-llm, deepseek-coder,
// falcon, mpt, gpt-2), each loaded as the library loads it with the pre-tokenizer its file names,
// plus GPT-2's vocabulary under every pre-tokenizer kind, so that the kinds no file there names
// (llama.cpp's 'default'; smollm, which shares starcoder's rules) run whole too.
// Each input must be cut by every pre-tokenizer into non-empty words that together are the input;
// every tokenizer must give ids in range, and valid UTF-8 must come back exactly,
// decode(encode(x)) == x, as byte-level BPE spells every byte. Some vocabularies lack bytes
// (Falcon's has no 0x1E; most lack 0xC0, 0xF5, ... which no UTF-8 holds): text holding one of
// those must be refused with one engine::Error, any other text must encode.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/error.hpp"
#include "engine/tokenizer.hpp"
#include "exercise_tokenizer.hpp"
#include "format/gguf_file.hpp"
#include "tokenizer/byte_level_bpe.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "util/mapped_file.hpp"

namespace {

using engine::PreTokenizer;

// Every value of engine::PreTokenizer.
constexpr PreTokenizer kKinds[] = {PreTokenizer::gpt2,           PreTokenizer::llama3,
                                   PreTokenizer::qwen2,          PreTokenizer::starcoder,
                                   PreTokenizer::falcon,         PreTokenizer::deepseek_llm,
                                   PreTokenizer::deepseek_coder, PreTokenizer::llama_default};

// A tokenizer and the bytes its vocabulary has no token for.
struct Subject {
  std::unique_ptr<engine::Tokenizer> tokenizer;
  std::array<bool, 256> missing{};
};

std::vector<Subject> subjects;

bool is_printable(unsigned byte) {
  return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
}

// The UTF-8 spelling of `byte` in GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for
// themselves, the others in order for U+0100 onwards.
std::string byte_spelling(unsigned byte) {
  unsigned code = byte;
  if (!is_printable(byte)) {
    code = 256;
    for (unsigned b = 0; b < byte; ++b) code += !is_printable(b);
  }
  if (code < 0x80) return std::string(1, static_cast<char>(code));
  return {static_cast<char>(0xC0 | code >> 6), static_cast<char>(0x80 | (code & 0x3F))};
}

Subject subject(std::unique_ptr<engine::Tokenizer> tokenizer) {
  std::unordered_set<std::string_view> pieces;
  for (int id = 0; id < tokenizer->vocab_size(); ++id) pieces.insert(tokenizer->piece(id));
  Subject s{.tokenizer = std::move(tokenizer)};
  for (unsigned byte = 0; byte < 256; ++byte)
    s.missing[byte] = !pieces.contains(byte_spelling(byte));
  return s;
}

bool holds_missing_byte(const Subject& s, std::string_view text) {
  for (const char c : text)
    if (s.missing[static_cast<unsigned char>(c)]) return true;
  return false;
}

bool is_byte_level(const std::filesystem::path& path) {
  const engine::MappedFile file(path.string());
  const engine::GgufFile gguf({file.data(), file.size()}, path.string());
  return gguf.get<std::string_view>("tokenizer.ggml.model") == "gpt2";
}

// GPT-2's tokens and merges with `kind` cutting the words.
std::unique_ptr<engine::Tokenizer> gpt2_with(const std::filesystem::path& path, PreTokenizer kind) {
  const engine::MappedFile file(path.string());
  const engine::GgufFile gguf({file.data(), file.size()}, path.string());
  engine::ByteLevelVocabulary vocab;
  for (const std::string_view token :
       gguf.get<std::vector<std::string_view>>("tokenizer.ggml.tokens"))
    vocab.tokens.emplace_back(token);
  for (const std::string_view merge :
       gguf.get<std::vector<std::string_view>>("tokenizer.ggml.merges"))
    vocab.merges.emplace_back(merge);
  vocab.pre_tokenizer = kind;
  return std::make_unique<engine::ByteLevelBpe>(std::move(vocab), path.string());
}

void require_words_are_text(PreTokenizer kind, std::string_view text) {
  std::string joined;
  for (const std::string_view word : engine::pretokenize(kind, text)) {
    if (word.empty()) std::abort();
    joined += word;
  }
  if (joined != text) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("ENGINE_FUZZ_VOCAB_DIR");
  if (!dir) std::abort();
  const std::filesystem::path gpt2 = std::filesystem::path(dir) / "ggml-vocab-gpt-2.gguf";
  for (const PreTokenizer kind : kKinds) subjects.push_back(subject(gpt2_with(gpt2, kind)));
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".gguf" && is_byte_level(entry.path()))
      subjects.push_back(subject(engine::load_tokenizer(entry.path().string())));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool valid = engine::fuzz::valid_utf8(text);
  for (const PreTokenizer kind : kKinds) require_words_are_text(kind, text);
  for (const Subject& s : subjects) {
    const bool refusable = holds_missing_byte(s, text);
    try {
      engine::fuzz::encode_and_decode(*s.tokenizer, text);
    } catch (const engine::Error&) {
      if (!refusable) std::abort();
      continue;
    }
    if (refusable) std::abort();
    if (valid) engine::fuzz::require_round_trip(*s.tokenizer, text);
  }
  return 0;
}
