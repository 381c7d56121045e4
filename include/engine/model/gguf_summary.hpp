// What a GGUF model file says about itself beyond the hyper-parameters a loaded Model has: its
// format version, tensor types, tokenizer kind and the keys that select behaviour (what
// `engine info` prints).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace engine {

/// Whether the file at `path` starts with the GGUF magic; false when it cannot be read.
bool is_gguf_file(const std::string& path);

struct GgufSummary {
  std::uint32_t version = 0;  ///< GGUF format version (2 or 3)
  /// Each tensor type (ggml's name: "f32", "q8_0", ...) with its number of tensors, by name.
  std::vector<std::pair<std::string, int>> tensor_types;
  /// tokenizer.ggml.model ("llama", "gpt2", ...); nullopt when the file has none.
  std::optional<std::string> tokenizer_model;
  bool has_chat_template = false;      ///< tokenizer.chat_template is present
  bool has_long_rope_factors = false;  ///< rope_factors_long.weight (Phi-3's LongRoPE)
  /// <architecture>.rope.scaling.original_context_length: the context the model was first
  /// trained with, past which LongRoPE's long factors apply; nullopt when absent.
  std::optional<std::uint64_t> original_context_length;
};

/// Reads the header, metadata and tensor table of the GGUF file at `path` (no tensor data).
/// Throws engine::Error: io when it cannot be read, bad_format naming the problem when it is
/// not a valid GGUF file.
GgufSummary summarize_gguf(const std::string& path);

}  // namespace engine
