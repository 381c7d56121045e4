// Byte-level BPE as GPT-2 defines it (and GGUF's `gpt2` tokenizer model): text is split into
// words by a pre-tokenizer (GPT-2's regex, Llama 3's, ...), each word's UTF-8 bytes start as one
// token each, and the ranked merges join them. Vocabulary strings spell every byte as a printable
// character (GPT-2's bytes_to_unicode: "Ġ" is the space); decoding maps them back to the bytes.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"
#include "tokenizer/special_tokens.hpp"

namespace engine {

/// Everything a file reader extracts for a byte-level BPE tokenizer.
struct ByteLevelVocabulary {
  std::vector<std::string> tokens;  ///< indexed by id, in the byte-to-unicode spelling
  std::vector<PieceType> types;     ///< empty, or one per token
  std::vector<std::string> merges;  ///< "left right", highest priority first
  PreTokenizer pre_tokenizer = PreTokenizer::gpt2;
  std::string pre_tokenizer_name = "gpt-2";  ///< as the file names it
  bool ignore_merges = false;  ///< a word that is a normal token is taken whole (Llama 3)
  int bos_id = -1;             ///< -1: none
  int eos_id = -1;             ///< -1: none
  int eot_id = -1;             ///< end of turn, -1: none
  int eom_id = -1;             ///< end of message, -1: none
  bool add_bos = false;        ///< whether encode's add_bos adds BOS (GPT-2: no)
  bool add_eos = false;        ///< whether encode's add_eos adds EOS
};

class ByteLevelBpe final : public Tokenizer {
 public:
  /// Validates `vocab`: unique non-empty tokens, merges of two tokens whose concatenation is a
  /// token, special ids in range; `source` names the file in errors. Bytes without a token are
  /// allowed (vocabularies leave out those that never occur in UTF-8) until text needs them.
  ByteLevelBpe(ByteLevelVocabulary vocab, std::string_view source);
  // The lookup maps hold views into the token and merge strings.
  ByteLevelBpe(const ByteLevelBpe&) = delete;
  ByteLevelBpe& operator=(const ByteLevelBpe&) = delete;

  using Tokenizer::encode;
  /// User-defined tokens in the text are always taken whole; control tokens only when
  /// options.parse_special is set.
  std::vector<int> encode(std::string_view text, const EncodeOptions& options) const override;
  /// The token's exact bytes; control, unknown and unused tokens decode to nothing and
  /// user-defined tokens to their text as written.
  std::string decode(int prev_token, int token) const override;
  int vocab_size() const override { return static_cast<int>(tokens_.size()); }
  int bos_id() const override { return bos_id_; }
  int eos_id() const override { return eos_id_; }
  bool add_bos() const override { return add_bos_; }
  bool add_eos() const override { return add_eos_; }
  const std::vector<int>& end_of_generation_ids() const override { return end_of_generation_; }
  std::string_view pre_tokenizer() const override { return pre_tokenizer_name_; }
  /// The token as the vocabulary spells it ("Ġthe").
  std::string_view piece(int id) const override;

 private:
  void check_id(int id) const;
  void encode_text(std::string_view text, std::vector<int>& ids) const;
  void encode_word(std::string_view word, std::vector<int>& ids) const;

  std::vector<std::string> tokens_;
  std::vector<std::string> bytes_;  // what each token decodes to
  std::vector<PieceType> types_;
  std::array<int, 256> byte_token_{};              // -1: the vocabulary has no token for the byte
  std::unordered_map<std::string_view, int> ids_;  // token spelling -> id
  // Merges are looked up by their text when encoding, as llama.cpp does, so loading a large
  // vocabulary costs one hash insert per merge rather than three lookups.
  std::vector<std::string> merges_;                        // "left right", by rank
  std::unordered_map<std::string_view, int> merge_ranks_;  // merge text -> rank
  bool ignore_merges_;
  SpecialTokenMatcher specials_;
  PreTokenizer pre_tokenizer_;
  std::string pre_tokenizer_name_;
  int bos_id_;
  int eos_id_;
  bool add_bos_;
  bool add_eos_;
  std::vector<int> end_of_generation_;
  std::string source_;
};

}  // namespace engine
