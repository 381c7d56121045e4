// GGUF tokenizer metadata (ggml's docs/gguf.md, "Tokenizer") -> SentencePieceBpe or
// ByteLevelBpe, with llama.cpp's defaults for keys a converter left out.
#include "tokenizer/gguf_tokenizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/error.hpp"
#include "format/gguf_file.hpp"
#include "tokenizer/byte_level_bpe.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"
#include "util/log.hpp"

namespace engine {
namespace {

// A special token id: -1 when the key is absent and there is no default, or when the converter
// wrote -1 (0xFFFFFFFF as u32) for "none"; an error naming the key when out of range.
int special_id(const GgufFile& gguf, std::string_view key, int fallback, std::size_t tokens) {
  const GgufValue* value = gguf.find_value(key);
  if (!value) return fallback;
  if (value->to_uint() == 0xFFFFFFFFu || value->to_int() == -1) return -1;
  const auto id = value->to_int();
  const auto big = value->to_uint();  // a u64 past int64's range
  if (!id && !big) gguf.fail(fmt::format("{} is not a token id", key));
  if (!id || *id < 0 || static_cast<std::uint64_t>(*id) >= tokens)
    gguf.fail(fmt::format("{} {} is out of range for {} tokens", key,
                          id ? fmt::to_string(*id) : fmt::to_string(*big), tokens));
  return static_cast<int>(*id);
}

// The special ids both vocabulary kinds use. Every key may be absent: BOS and EOS then take the
// vocabulary kind's default (llama.cpp's), the others are none. Padding, separator and mask ids
// are range-checked but unused.
struct SpecialIds {
  int bos = -1;
  int eos = -1;
  int unknown = -1;
  int eot = -1;
  int eom = -1;
};

SpecialIds special_ids(const GgufFile& gguf, std::size_t tokens, int bos_default, int eos_default,
                       int unknown_default) {
  SpecialIds ids;
  ids.bos = special_id(gguf, "tokenizer.ggml.bos_token_id", bos_default, tokens);
  ids.eos = special_id(gguf, "tokenizer.ggml.eos_token_id", eos_default, tokens);
  ids.unknown = special_id(gguf, "tokenizer.ggml.unknown_token_id", unknown_default, tokens);
  ids.eot = special_id(gguf, "tokenizer.ggml.eot_token_id", -1, tokens);
  ids.eom = special_id(gguf, "tokenizer.ggml.eom_token_id", -1, tokens);
  for (const char* key : {"tokenizer.ggml.padding_token_id", "tokenizer.ggml.seperator_token_id",
                          "tokenizer.ggml.mask_token_id"})
    special_id(gguf, key, -1, tokens);
  return ids;
}

// tokenizer.ggml.scores or .token_type, when present: one per token.
template <typename T>
std::vector<T> per_token(const GgufFile& gguf, std::string_view key, std::size_t tokens) {
  auto values = gguf.find<std::vector<T>>(key).value_or(std::vector<T>{});
  if (!values.empty() && values.size() != tokens)
    gguf.fail(fmt::format("{} has {} entries for {} tokens", key, values.size(), tokens));
  return values;
}

// Scores order the merges: NaN would make that order meaningless (the tokenizer.bin reader
// refuses it too).
std::vector<float> scores(const GgufFile& gguf, std::size_t tokens) {
  std::vector<float> values = per_token<float>(gguf, "tokenizer.ggml.scores", tokens);
  for (std::size_t id = 0; id < values.size(); ++id)
    if (!std::isfinite(values[id]))
      gguf.fail(fmt::format("tokenizer.ggml.scores: token {} has score {}", id, values[id]));
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
  const std::vector<float> token_scores = scores(gguf, tokens.size());
  std::vector<PieceType> types = token_types(gguf, tokens.size());
  // llama.cpp's SentencePiece defaults: BOS 1, EOS 2, unknown 0; BOS added, EOS not.
  const SpecialIds special = special_ids(gguf, tokens.size(), 1, 2, -1);
  SentencePieceVocabulary vocab;
  vocab.bos_id = special.bos;
  vocab.eos_id = special.eos;
  vocab.eot_id = special.eot;
  vocab.eom_id = special.eom;
  vocab.add_bos = gguf.find<bool>("tokenizer.ggml.add_bos_token").value_or(true);
  vocab.add_eos = gguf.find<bool>("tokenizer.ggml.add_eos_token").value_or(false);
  const auto unknown_typed = std::count(types.begin(), types.end(), PieceType::unknown);
  // The named unknown piece; without the key, the one piece typed unknown, else id 0.
  vocab.unk_id = special.unknown >= 0 ? special.unknown : unknown_typed == 1 ? -1 : 0;
  if (types.empty()) {
    // Without types, infer what SentencePiece needs: the unknown piece and the byte pieces.
    for (std::size_t id = 0; id < tokens.size(); ++id)
      types.push_back(static_cast<int>(id) == vocab.unk_id ? PieceType::unknown
                      : parse_byte_piece(tokens[id])       ? PieceType::byte
                                                           : PieceType::normal);
  }
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    vocab.entries.push_back(
        {std::string(tokens[id]), token_scores.empty() ? 0.0f : token_scores[id], types[id]});
    vocab.byte_fallback |= types[id] == PieceType::byte;
  }
  // llama.cpp's SentencePiece rules: a dummy prefix unless the file says otherwise (Gemma does),
  // and extra whitespace is kept.
  vocab.normalizer = {
      .add_dummy_prefix = gguf.find<bool>("tokenizer.ggml.add_space_prefix").value_or(true),
      .remove_extra_whitespaces = false};
  return std::make_unique<SentencePieceBpe>(std::move(vocab), gguf.source());
}

std::unique_ptr<Tokenizer> byte_level(const GgufFile& gguf,
                                      const std::vector<std::string_view>& tokens) {
  // Files from converters older than the pre-tokenizer key get llama.cpp's 'default'.
  const auto pre = gguf.find<std::string_view>("tokenizer.ggml.pre");
  if (!pre)
    log::warn("{}: no tokenizer.ggml.pre: using the 'default' pre-tokenizer", gguf.source());
  const std::string_view name = pre.value_or("default");
  const auto spec = find_pre_tokenizer(name);
  if (!spec)
    throw Error(ErrorCode::unsupported,
                fmt::format("{}: pre-tokenizer '{}' is not supported", gguf.source(), name));
  ByteLevelVocabulary vocab;
  vocab.tokens.assign(tokens.begin(), tokens.end());
  vocab.types = token_types(gguf, tokens.size());
  const auto merges = gguf.find<std::vector<std::string_view>>("tokenizer.ggml.merges");
  if (merges) vocab.merges.assign(merges->begin(), merges->end());
  vocab.pre_tokenizer = spec->kind;
  vocab.pre_tokenizer_name = name;
  vocab.ignore_merges = spec->ignore_merges;
  const SpecialIds special = special_ids(gguf, tokens.size(), -1, -1, -1);
  vocab.bos_id = special.bos;
  vocab.eos_id = special.eos;
  vocab.eot_id = special.eot;
  vocab.eom_id = special.eom;
  vocab.add_bos = gguf.find<bool>("tokenizer.ggml.add_bos_token").value_or(spec->add_bos);
  vocab.add_eos = gguf.find<bool>("tokenizer.ggml.add_eos_token").value_or(false);
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
