// Writing a loaded llama model as one GGUF file of a weight type, with the standard llama.cpp
// keys, tensor names and per-tensor type mixes, so other GGUF readers load it too.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "engine/model/model.hpp"
#include "engine/tokenizer.hpp"

namespace engine {

struct ConvertOptions {
  /// The file type, as llama.cpp names its files: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1,
  /// q2_k, q3_k_m, q4_k_m, q5_k_m or q6_k (any case). Each matrix gets the type llama.cpp's
  /// file of that type gives it; norms stay f32.
  std::string type = "f32";
  /// Called after each tensor is written with (tensors written, tensors in the file); may be
  /// empty.
  std::function<void(std::size_t done, std::size_t total)> progress = {};
};

/// Writes `model` (llama architecture) with `tokenizer` (SentencePiece-style) embedded to a new
/// GGUF file at `path`. Throws engine::Error: invalid_argument for an unknown type (before
/// anything is written), unsupported for another architecture or tokenizer, io when the file
/// cannot be written (a partly written file is left to the caller to remove).
void convert(const Model& model, const Tokenizer& tokenizer, const std::string& path,
             const ConvertOptions& options = {});

}  // namespace engine
