// SentencePiece BPE tokenization: a SentencePiece vocabulary plus the encode/decode rules of
// libsentencepiece (0.1.97), whichever file the vocabulary came from (llama2.c tokenizer.bin or a
// SentencePiece .model). The file readers only parse; this class validates what they found.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/tokenizer.hpp"
#include "tokenizer/sentencepiece_normalizer.hpp"
#include "tokenizer/special_tokens.hpp"

namespace engine {

/// ModelProto.SentencePiece.Type, numbered as in sentencepiece_model.proto.
enum class PieceType : std::uint8_t {
  normal = 1,
  unknown = 2,       ///< `<unk>`: exactly one per vocabulary
  control = 3,       ///< `<s>`, `</s>`: never produced from text, decoded as nothing
  user_defined = 4,  ///< always one token when it appears in the text
  unused = 5,        ///< may appear while merging, but is split back into its two halves
  byte = 6,          ///< `<0xXX>`: byte fallback for characters with no piece
};

struct VocabEntry {
  std::string piece;  ///< SentencePiece form: a space is U+2581 "▁"
  float score = 0;    ///< BPE merge priority: the higher, the earlier
  PieceType type = PieceType::normal;
};

/// Everything a file reader extracts from a tokenizer file.
struct SentencePieceVocabulary {
  std::vector<VocabEntry> entries;  ///< indexed by token id
  NormalizerOptions normalizer;
  bool byte_fallback = false;  ///< unknown characters become byte pieces instead of `<unk>`
  int bos_id = 1;              ///< -1: the vocabulary has none
  int eos_id = 2;              ///< -1: the vocabulary has none
  /// The unknown piece. -1: the one piece typed unknown, which must exist. GGUF files name it
  /// (tokenizer.ggml.unknown_token_id) and may type other pieces unknown too (Phi-3's padding),
  /// which then stand for nothing.
  int unk_id = -1;
  int eot_id = -1;       ///< end of turn, -1: none
  int eom_id = -1;       ///< end of message, -1: none
  bool add_bos = true;   ///< whether encode's add_bos adds BOS
  bool add_eos = false;  ///< whether encode's add_eos adds EOS
};

/// The byte a piece of the exact form `<0xXX>` (upper-case hex) stands for.
std::optional<std::uint8_t> parse_byte_piece(std::string_view piece);

class SentencePieceBpe final : public Tokenizer {
 public:
  /// Validates `vocab` (unique non-empty pieces, one unknown piece, well-formed byte pieces,
  /// BOS/EOS in range); `source` names the file in error messages.
  SentencePieceBpe(SentencePieceVocabulary vocab, std::string_view source);
  // The lookup maps hold views into `entries_`.
  SentencePieceBpe(const SentencePieceBpe&) = delete;
  SentencePieceBpe& operator=(const SentencePieceBpe&) = delete;

  using Tokenizer::encode;
  /// BOS/EOS are only added when the vocabulary has them and adds them. With parse_special,
  /// control pieces written in the text are cut out first and each run of text between them is
  /// encoded on its own, with its own dummy prefix (llama.cpp's rule).
  std::vector<int> encode(std::string_view text, const EncodeOptions& options) const override;
  /// Control and unused pieces decode to nothing, `<unk>` to " ⁇ " (libsentencepiece's unk
  /// surface).
  std::string decode(int prev_token, int token) const override;
  int vocab_size() const override { return static_cast<int>(entries_.size()); }
  int bos_id() const override { return bos_id_; }
  int eos_id() const override { return eos_id_; }
  bool add_bos() const override { return add_bos_; }
  bool add_eos() const override { return add_eos_; }
  const std::vector<int>& end_of_generation_ids() const override { return end_of_generation_; }
  std::string_view pre_tokenizer() const override { return "sentencepiece"; }
  /// The piece in SentencePiece form ("▁" for spaces) for both file kinds.
  std::string_view piece(int id) const override;
  /// The whole vocabulary, indexed by token id (what a GGUF writer embeds).
  const std::vector<VocabEntry>& entries() const { return entries_; }

 private:
  struct MergeResult;

  const VocabEntry& entry(int id) const;
  std::optional<int> mergeable_id(std::string_view piece) const;
  std::size_t user_defined_prefix(std::string_view text) const;
  MergeResult merge(std::string_view normalized) const;
  void append_ids(std::string_view symbol, const MergeResult& merged, std::vector<int>& ids) const;
  void encode_text(std::string_view text, std::vector<int>& ids) const;

  std::vector<VocabEntry> entries_;
  NormalizerOptions normalizer_;
  bool byte_fallback_;
  int bos_id_;
  int eos_id_;
  int unk_id_ = -1;
  bool add_bos_;
  bool add_eos_;
  std::vector<int> end_of_generation_;
  SpecialTokenMatcher controls_;  // control and unknown pieces, matched only with parse_special
  // libsentencepiece keeps two maps: only normal, user-defined and unused pieces can result from
  // a merge, so text such as "<s>" or "<0x0A>" never turns into a control or byte token.
  std::unordered_map<std::string_view, int> mergeable_;
  std::unordered_map<std::string_view, int> reserved_;
  std::array<int, 256> byte_ids_;  // -1: no piece for that byte
  std::size_t max_user_defined_size_ = 0;
};

}  // namespace engine
