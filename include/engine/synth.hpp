// Models of a standard shape with random weights, for benchmarks (throughput does not depend on
// the weight values) and for tests of the file formats and families.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace engine {

enum class SynthFormat {
  checkpoint,  ///< llama2.c checkpoint, version 1, fp32 (plain llama only, no tokenizer)
  gguf,        ///< GGUF, f32, a vocabulary embedded
};

struct SynthOptions {
  /// The shape: "260K", "15M", "110M" or "1B"; with a family also "tiny" (64 wide, 2 layers).
  std::string preset;
  /// Empty: a plain llama. Else one of synth_families(), written as llama.cpp's converter writes
  /// that model: its architecture, keys, tensor names and shapes, its vocabulary size (GGUF only).
  std::string family;
  SynthFormat format = SynthFormat::gguf;
  /// GGUF only: a SentencePiece-style tokenizer file to embed, or a GGUF whose tokenizer.* keys
  /// are copied (a family's real vocabulary); empty: a synthetic vocabulary of the model's size.
  std::string tokenizer;
  std::uint64_t seed = 1;
  /// Called as weights are written with (weights written, weights in the file); may be empty.
  std::function<void(std::uint64_t written, std::uint64_t total)> progress = {};
};

/// The families synthesize_model knows: llama3, qwen2, smollm2, tinyllama, phi3, phi3.5, gemma2
/// (in this order).
std::span<const std::string_view> synth_families();

/// Writes a new model file at `path` and returns its number of weights. Both formats draw from
/// one stream in llama2.c order, so a checkpoint and a GGUF of one seed give the same logits;
/// values are generated in chunks while writing, so a large model never sits in memory. Throws
/// engine::Error: invalid_argument for an unknown preset or family (or a family as a checkpoint),
/// mismatch when the tokenizer's size is not the model's, unsupported for a tokenizer that
/// cannot be embedded, io when the file cannot be written.
std::uint64_t synthesize_model(const std::string& path, const SynthOptions& options);

}  // namespace engine
