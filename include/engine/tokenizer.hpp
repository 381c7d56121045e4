// Text <-> token ids.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

/// A tokenizer: encodes UTF-8 text to token ids and decodes ids back to the exact bytes.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  /// Token ids of `text`, with BOS/EOS added when asked.
  virtual std::vector<int> encode(std::string_view text, bool add_bos, bool add_eos) const = 0;

  /// The bytes `token` stands for when it follows `prev_token`, for streaming output:
  /// byte tokens (`<0x0A>`) give their raw byte, so a UTF-8 character split over several byte
  /// tokens comes out exact once concatenated; after BOS the leading space is dropped.
  virtual std::string decode(int prev_token, int token) const = 0;

  /// Concatenated decode of a whole sequence. The sequence starts as if it followed BOS, so the
  /// first token's dummy-prefix space is dropped with or without a leading BOS, as SentencePiece's
  /// DecodeIds does: decode(encode(text, false, false)) == text for valid UTF-8 without extra
  /// whitespace (when the normalizer removes it).
  std::string decode(std::span<const int> tokens) const;

  /// Number of tokens in the vocabulary (ids 0..vocab_size-1).
  virtual int vocab_size() const = 0;
  /// Beginning-of-sequence id (-1: none).
  virtual int bos_id() const = 0;
  /// End-of-sequence id (-1: none).
  virtual int eos_id() const = 0;
  /// The vocabulary entry of `id` (for `engine tokenize --pieces`), in SentencePiece form for
  /// every file kind: "▁" for a space, "<s>", "<0x0A>" (llama2.c's tokenizer.bin stores " " and
  /// "\n<s>\n"; the reader undoes that).
  virtual std::string_view piece(int id) const = 0;
};

/// Loads a tokenizer file, detecting its kind from the contents: a llama2.c `tokenizer.bin`, a
/// SentencePiece `.model` (protobuf) or a GGUF file (the vocabulary it embeds). Throws
/// engine::Error naming the file on malformed input.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path);

}  // namespace engine
