// GGUF tokenizer metadata (ggml's docs/gguf.md, "Tokenizer") -> SentencePieceBpe or
// ByteLevelBpe, with llama.cpp's defaults for keys a converter left out.
#include "tokenizer/gguf_tokenizer.hpp"

#include <fmt/format.h>

#include <limits>

#include "engine/error.hpp"
#include "format/gguf_file.hpp"
#include "tokenizer/byte_level_bpe.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"
#include "util/log.hpp"

namespace engine {
namespace {

// A special token id; converters write -1 (or 0xFFFFFFFF as u32) for "none".
int special_id(const GgufFile& gguf, std::string_view key, int fallback) {
  const GgufValue* value = gguf.find_value(key);
  if (!value) return fallback;
  if (value->to_uint() == 0xFFFFFFFFu || value->to_int() == -1) return -1;
  const auto id = value->to_uint();
  if (!id || *id > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
    gguf.fail(fmt::format("{} is not a token id", key));
  return static_cast<int>(*id);
}

// tokenizer.ggml.scores or .token_type, when present: one per token.
template <typename T>
std::vector<T> per_token(const GgufFile& gguf, std::string_view key, std::size_t tokens) {
  auto values = gguf.find<std::vector<T>>(key).value_or(std::vector<T>{});
  if (!values.empty() && values.size() != tokens)
    gguf.fail(fmt::format("{} has {} entries for {} tokens", key, values.size(), tokens));
  return values;
}

std::vector<PieceType> token_types(const GgufFile& gguf, std::size_t tokens) {
  std::vector<PieceType> types;
  for (const std::int64_t type :
       per_token<std::int64_t>(gguf, "tokenizer.ggml.token_type", tokens)) {
    if (type < static_cast<int>(PieceType::normal) || type > static_cast<int>(PieceType::byte))
      gguf.fail(fmt::format("token {} has type {} (1 to 6 expected)", types.size(), type));
    types.push_back(static_cast<PieceType>(type));
  }
  return types;
}

std::unique_ptr<Tokenizer> sentencepiece(const GgufFile& gguf,
                                         const std::vector<std::string_view>& tokens) {
  const std::vector<float> scores = per_token<float>(gguf, "tokenizer.ggml.scores", tokens.size());
  std::vector<PieceType> types = token_types(gguf, tokens.size());
  SentencePieceVocabulary vocab;
  vocab.bos_id = special_id(gguf, "tokenizer.ggml.bos_token_id", 1);
  vocab.eos_id = special_id(gguf, "tokenizer.ggml.eos_token_id", 2);
  if (types.empty()) {
    // Without types, infer what SentencePiece needs: the unknown piece and the byte pieces.
    const int unknown = special_id(gguf, "tokenizer.ggml.unknown_token_id", 0);
    for (std::size_t id = 0; id < tokens.size(); ++id)
      types.push_back(static_cast<int>(id) == unknown ? PieceType::unknown
                      : parse_byte_piece(tokens[id])  ? PieceType::byte
                                                      : PieceType::normal);
  }
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    vocab.entries.push_back(
        {std::string(tokens[id]), scores.empty() ? 0.0f : scores[id], types[id]});
    vocab.byte_fallback |= types[id] == PieceType::byte;
  }
  // llama.cpp's SentencePiece rules: a dummy prefix unless the file says otherwise, and extra
  // whitespace is kept.
  vocab.normalizer = {
      .add_dummy_prefix = gguf.find<bool>("tokenizer.ggml.add_space_prefix").value_or(true),
      .remove_extra_whitespaces = false};
  if (!gguf.find<bool>("tokenizer.ggml.add_bos_token").value_or(true))
    log::warn(
        "{}: tokenizer.ggml.add_bos_token is false, but BOS is always added for llama "
        "vocabularies",
        gguf.source());
  return std::make_unique<SentencePieceBpe>(std::move(vocab), gguf.source());
}

std::unique_ptr<Tokenizer> byte_level(const GgufFile& gguf,
                                      const std::vector<std::string_view>& tokens) {
  const auto pre = gguf.find<std::string_view>("tokenizer.ggml.pre").value_or("gpt-2");
  if (pre != "gpt-2")
    throw Error(
        ErrorCode::unsupported,
        fmt::format("{}: pre-tokenizer '{}' is not supported (only gpt-2)", gguf.source(), pre));
  ByteLevelVocabulary vocab;
  vocab.tokens.assign(tokens.begin(), tokens.end());
  vocab.types = token_types(gguf, tokens.size());
  const auto merges = gguf.find<std::vector<std::string_view>>("tokenizer.ggml.merges");
  if (merges) vocab.merges.assign(merges->begin(), merges->end());
  vocab.bos_id = special_id(gguf, "tokenizer.ggml.bos_token_id", -1);
  vocab.eos_id = special_id(gguf, "tokenizer.ggml.eos_token_id", -1);
  vocab.add_bos = gguf.find<bool>("tokenizer.ggml.add_bos_token").value_or(false);
  return std::make_unique<ByteLevelBpe>(std::move(vocab), gguf.source());
}

}  // namespace

std::unique_ptr<Tokenizer> read_gguf_tokenizer(const GgufFile& gguf) {
  const auto model = gguf.get<std::string_view>("tokenizer.ggml.model");
  const auto tokens = gguf.get<std::vector<std::string_view>>("tokenizer.ggml.tokens");
  if (model == "llama") return sentencepiece(gguf, tokens);
  if (model == "gpt2") return byte_level(gguf, tokens);
  throw Error(ErrorCode::unsupported,
              fmt::format("{}: tokenizer model '{}' is not supported (llama or gpt2)",
                          gguf.source(), model));
}

}  // namespace engine
