// Byte-level BPE as GPT-2 defines it (and GGUF's `gpt2` tokenizer model): text is split into
// words by GPT-2's pre-tokenizer, each word's UTF-8 bytes start as one token each, and the
// ranked merges join them. Vocabulary strings spell every byte as a printable character
// (GPT-2's bytes_to_unicode: "Ġ" is the space); decoding maps them back to the exact bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"

namespace engine {

/// Everything a file reader extracts for a byte-level BPE tokenizer.
struct ByteLevelVocabulary {
  std::vector<std::string> tokens;  ///< indexed by id, in the byte-to-unicode spelling
  std::vector<PieceType> types;     ///< empty, or one per token (control tokens decode to "")
  std::vector<std::string> merges;  ///< "left right", highest priority first
  int bos_id = -1;                  ///< -1: none
  int eos_id = -1;                  ///< -1: none
  bool add_bos = false;             ///< whether encode's add_bos adds BOS (GPT-2: no)
};

class ByteLevelBpe final : public Tokenizer {
 public:
  /// Validates `vocab`: unique tokens, one for every byte, merges of two tokens whose
  /// concatenation is a token, special ids in range; `source` names the file in errors.
  ByteLevelBpe(ByteLevelVocabulary vocab, std::string_view source);

  /// `add_bos` asks for the vocabulary's BOS, which is only added when the vocabulary says it
  /// uses one (ByteLevelVocabulary::add_bos, GGUF's tokenizer.ggml.add_bos_token). Special
  /// tokens written in the text are not parsed: "<|endoftext|>" is encoded as plain text.
  std::vector<int> encode(std::string_view text, bool add_bos, bool add_eos) const override;
  /// The token's exact bytes; control tokens decode to nothing.
  std::string decode(int prev_token, int token) const override;
  int vocab_size() const override { return static_cast<int>(tokens_.size()); }
  int bos_id() const override { return bos_id_; }
  int eos_id() const override { return eos_id_; }
  /// The token as the vocabulary spells it ("Ġthe").
  std::string_view piece(int id) const override;

 private:
  struct Merge {
    int rank;
    int result;
  };

  void check_id(int id) const;
  void encode_word(std::string_view word, std::vector<int>& ids) const;

  std::vector<std::string> tokens_;
  std::vector<std::string> bytes_;  // what each token decodes to
  std::vector<bool> control_;
  std::array<int, 256> byte_token_{};
  std::unordered_map<std::uint64_t, Merge> merges_;  // key: left id << 32 | right id
  int bos_id_;
  int eos_id_;
  bool add_bos_;
};

}  // namespace engine
