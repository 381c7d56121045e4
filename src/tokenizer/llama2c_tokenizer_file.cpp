// llama2.c tokenizer.bin reader. The export changed the pieces for printing ("▁" became " ",
// BOS/EOS became "\n<s>\n" and "\n</s>\n"); that is undone here so a tokenizer.bin and the .model
// it came from give the same vocabulary.
#include "tokenizer/llama2c_tokenizer_file.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <string>

#include "engine/error.hpp"

namespace engine {
namespace {

// Real files hold pieces of a few dozen bytes; anything larger is not a tokenizer.bin.
constexpr std::int32_t kMaxTokenLength = 1 << 16;
constexpr int kBosId = 1;
constexpr int kEosId = 2;

[[noreturn]] void fail(std::string_view source, const std::string& problem) {
  throw Error(ErrorCode::bad_format, fmt::format("{}: {}", source, problem));
}

template <typename T>
T read_le(std::span<const std::uint8_t> bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

std::string replace_spaces(std::string_view piece) {
  std::string out;
  for (const char c : piece) {
    if (c == ' ') {
      out += kSpaceSymbol;
    } else {
      out += c;
    }
  }
  return out;
}

VocabEntry infer_entry(int id, std::string_view piece, float score) {
  if (id == 0) return {std::string(piece), score, PieceType::unknown};
  if (id == kBosId || id == kEosId) {
    const std::size_t first = piece.find_first_not_of('\n');
    const std::size_t last = piece.find_last_not_of('\n');
    // An all-newline piece stays as it is rather than becoming empty.
    if (first != std::string_view::npos) piece = piece.substr(first, last - first + 1);
    return {std::string(piece), score, PieceType::control};
  }
  if (parse_byte_piece(piece)) return {std::string(piece), score, PieceType::byte};
  return {replace_spaces(piece), score, PieceType::normal};
}

}  // namespace

SentencePieceVocabulary read_llama2c_tokenizer(std::span<const std::uint8_t> bytes,
                                               std::string_view source) {
  if (bytes.size() < sizeof(std::int32_t))
    fail(source, fmt::format("too short for a llama2.c tokenizer.bin ({} bytes)", bytes.size()));
  const auto max_length = read_le<std::int32_t>(bytes, 0);
  if (max_length < 1 || max_length > kMaxTokenLength)
    fail(source, fmt::format("not a llama2.c tokenizer.bin: max_token_length {} is out of range "
                             "[1, {}]",
                             max_length, kMaxTokenLength));

  SentencePieceVocabulary vocab;
  std::size_t offset = sizeof(std::int32_t);
  while (offset < bytes.size()) {
    const int id = static_cast<int>(vocab.entries.size());
    const std::size_t left = bytes.size() - offset;
    if (left < 2 * sizeof(std::int32_t))
      fail(source,
           fmt::format("truncated at token {}: {} bytes left of its 8-byte header", id, left));
    const auto score = read_le<float>(bytes, offset);
    const auto length = read_le<std::int32_t>(bytes, offset + sizeof(float));
    offset += 2 * sizeof(std::int32_t);
    if (length < 1 || length > max_length)
      fail(source, fmt::format("token {} has length {}, outside [1, max_token_length {}]", id,
                               length, max_length));
    if (bytes.size() - offset < static_cast<std::size_t>(length))
      fail(source, fmt::format("truncated at token {}: {} of its {} bytes present", id,
                               bytes.size() - offset, length));
    // NaN would break the ordering of BPE merges.
    if (std::isnan(score)) fail(source, fmt::format("token {} has a NaN score", id));
    const std::string_view piece(reinterpret_cast<const char*>(bytes.data() + offset), length);
    vocab.entries.push_back(infer_entry(id, piece, score));
    if (vocab.entries.back().type == PieceType::byte) vocab.byte_fallback = true;
    offset += length;
  }
  if (vocab.entries.size() <= kEosId)
    fail(source, fmt::format("only {} tokens: llama2.c needs at least <unk>, <s> and </s>",
                             vocab.entries.size()));
  vocab.normalizer = {.add_dummy_prefix = true, .remove_extra_whitespaces = false};
  vocab.bos_id = kBosId;
  vocab.eos_id = kEosId;
  return vocab;
}

}  // namespace engine
