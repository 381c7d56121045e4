// SentencePiece .model parsing with our own protobuf reader. Field numbers are those of
// sentencepiece_model.proto; fields that only matter for training are skipped.
#include "tokenizer/sentencepiece_model_file.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "engine/error.hpp"
#include "tokenizer/protobuf_reader.hpp"

namespace engine {
namespace {

constexpr std::uint8_t kPiecesTag = 0x0a;  // field 1, length-delimited
constexpr std::uint64_t kModelTypeBpe = 2;
constexpr std::uint64_t kModelTypeUnigram = 1;  // the proto default

struct TrainerSpec {
  std::uint64_t model_type = kModelTypeUnigram;
  bool treat_whitespace_as_suffix = false;
  bool byte_fallback = false;
  int bos_id = 1;
  int eos_id = 2;
};

struct NormalizerSpec {
  std::string name;
  bool has_charsmap = false;
  NormalizerOptions options;
  bool escape_whitespaces = true;
};

VocabEntry read_piece(ProtobufReader message, int id) {
  VocabEntry entry;
  while (!message.at_end()) {
    const auto field = message.next_field();
    switch (field.number) {
      case 1:
        entry.piece = message.read_bytes(field);
        break;
      case 2:
        entry.score = message.read_float(field);
        break;
      case 3: {
        const std::uint64_t type = message.read_varint(field);
        if (type < 1 || type > 6)
          message.fail(fmt::format("piece {} has unknown type {}", id, type));
        entry.type = static_cast<PieceType>(type);
        break;
      }
      default:
        message.skip(field);
    }
  }
  // NaN would break the ordering of BPE merges.
  if (std::isnan(entry.score)) message.fail(fmt::format("piece {} has a NaN score", id));
  return entry;
}

// Repeated occurrences of a message field merge into one, as protobuf specifies.
void read_trainer_spec(ProtobufReader message, TrainerSpec& spec) {
  while (!message.at_end()) {
    const auto field = message.next_field();
    switch (field.number) {
      case 3:
        spec.model_type = message.read_varint(field);
        break;
      case 24:
        spec.treat_whitespace_as_suffix = message.read_bool(field);
        break;
      case 35:
        spec.byte_fallback = message.read_bool(field);
        break;
      case 41:
        spec.bos_id = message.read_int32(field);
        break;
      case 42:
        spec.eos_id = message.read_int32(field);
        break;
      default:
        message.skip(field);
    }
  }
}

void read_normalizer_spec(ProtobufReader message, NormalizerSpec& spec) {
  while (!message.at_end()) {
    const auto field = message.next_field();
    switch (field.number) {
      case 1:
        spec.name = message.read_bytes(field);
        break;
      case 2:
        spec.has_charsmap = !message.read_bytes(field).empty();
        break;
      case 3:
        spec.options.add_dummy_prefix = message.read_bool(field);
        break;
      case 4:
        spec.options.remove_extra_whitespaces = message.read_bool(field);
        break;
      case 5:
        spec.escape_whitespaces = message.read_bool(field);
        break;
      default:
        message.skip(field);
    }
  }
}

[[noreturn]] void unsupported(std::string_view source, const std::string& problem) {
  throw Error(ErrorCode::unsupported, fmt::format("{}: {}", source, problem));
}

void check_supported(const TrainerSpec& trainer, const NormalizerSpec& normalizer,
                     const NormalizerSpec& denormalizer, std::string_view source) {
  if (trainer.model_type != kModelTypeBpe)
    unsupported(source,
                fmt::format("model_type {} is not BPE (2){}: only BPE models are supported",
                            trainer.model_type,
                            trainer.model_type == kModelTypeUnigram ? ", it is unigram" : ""));
  if (trainer.treat_whitespace_as_suffix)
    unsupported(source, "treat_whitespace_as_suffix is set: only prefix whitespace is supported");
  for (const NormalizerSpec* spec : {&normalizer, &denormalizer}) {
    if (spec->has_charsmap)
      unsupported(source, fmt::format("{}normalizer '{}' needs its precompiled charsmap (Unicode "
                                      "rules such as NFKC), which is not implemented: only "
                                      "'identity' normalization is supported",
                                      spec == &denormalizer ? "de" : "", spec->name));
  }
  if (!normalizer.escape_whitespaces)
    unsupported(source, fmt::format("escape_whitespaces is off: only models whose pieces spell "
                                    "spaces as \"{}\" are supported",
                                    kSpaceSymbol));
}

}  // namespace

bool looks_like_sentencepiece_model(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && bytes[0] == kPiecesTag && (bytes[2] != 0 || bytes[3] != 0);
}

SentencePieceVocabulary read_sentencepiece_model(std::span<const std::uint8_t> bytes,
                                                 std::string_view source) {
  SentencePieceVocabulary vocab;
  TrainerSpec trainer;
  NormalizerSpec normalizer, denormalizer;
  ProtobufReader model(bytes, source);
  while (!model.at_end()) {
    const auto field = model.next_field();
    switch (field.number) {
      case 1: {
        const int id = static_cast<int>(vocab.entries.size());
        vocab.entries.push_back(read_piece(model.read_message(field), id));
        break;
      }
      case 2:
        read_trainer_spec(model.read_message(field), trainer);
        break;
      case 3:
        read_normalizer_spec(model.read_message(field), normalizer);
        break;
      case 5:
        read_normalizer_spec(model.read_message(field), denormalizer);
        break;
      default:
        model.skip(field);
    }
  }
  check_supported(trainer, normalizer, denormalizer, source);
  vocab.normalizer = normalizer.options;
  vocab.byte_fallback = trainer.byte_fallback;
  vocab.bos_id = trainer.bos_id;
  vocab.eos_id = trainer.eos_id;
  return vocab;
}

}  // namespace engine
