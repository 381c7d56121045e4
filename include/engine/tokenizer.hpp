// Text <-> token ids.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

/// How encode treats the text's ends and the special tokens written in it.
struct EncodeOptions {
  /// BOS first, when the vocabulary adds one (add_bos()), as llama.cpp's add_special does.
  bool add_bos = false;
  /// EOS last, when the vocabulary adds one (add_eos()).
  bool add_eos = false;
  /// Control tokens written in the text ("<|im_end|>", "<s>") become their ids. Off, the text is
  /// plain: a user typing "<|im_end|>" gets the ordinary tokens of those characters. User-defined
  /// tokens of byte-level vocabularies are matched either way, as llama.cpp and Hugging Face do.
  bool parse_special = false;
};

/// A tokenizer: encodes UTF-8 text to token ids and decodes ids back to the exact bytes.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  /// Token ids of `text`. Throws engine::Error (invalid_argument) when the text needs a byte the
  /// vocabulary has no token for (only possible for bytes that never occur in valid UTF-8, or
  /// vocabularies that leave out control characters).
  virtual std::vector<int> encode(std::string_view text, const EncodeOptions& options) const = 0;
  /// encode(text, {add_bos, add_eos}): the text is plain (no special tokens parsed).
  std::vector<int> encode(std::string_view text, bool add_bos, bool add_eos) const {
    return encode(text, EncodeOptions{.add_bos = add_bos, .add_eos = add_eos});
  }

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
  /// Whether encode's add_bos adds BOS: GGUF's tokenizer.ggml.add_bos_token, else llama.cpp's
  /// default for the vocabulary kind (SentencePiece and Llama 3: yes; other byte-level BPE: no).
  virtual bool add_bos() const = 0;
  /// Whether encode's add_eos adds EOS: tokenizer.ggml.add_eos_token, else no.
  virtual bool add_eos() const = 0;
  /// The ids that end generation, sorted: EOS, tokenizer.ggml.eot_token_id and eom_token_id, and
  /// the tokens llama.cpp recognises by their text ("<|eot_id|>", "<|im_end|>", "<|end|>",
  /// "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", and the FIM pad/repo/file-separator
  /// tokens).
  virtual const std::vector<int>& end_of_generation_ids() const = 0;
  /// Whether generating `id` ends the generation (an id out of range does not).
  bool is_end_of_generation(int id) const;
  /// How text is cut before the merges: GGUF's tokenizer.ggml.pre ("llama-bpe", "qwen2", ...) for
  /// byte-level BPE, "sentencepiece" for SentencePiece vocabularies.
  virtual std::string_view pre_tokenizer() const = 0;
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
