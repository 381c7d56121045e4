// A loaded model: configuration plus weights, immutable once loaded and shareable across
// threads (each conversation gets its own Session).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/dtype.hpp"
#include "engine/model/config.hpp"

namespace engine {

/// Views of the weights in the kernels' layout: the library's own (src/model/weights.hpp).
struct TransformerWeights;

class Model {
 public:
  /// Loads a llama2.c checkpoint (legacy header, or the versioned "ak42" v1 fp32 export) or a
  /// GGUF file of the llama, qwen2, phi3, gemma2 or gpt2 architecture (told apart by the magic).
  /// The file is mapped from the page cache and every matrix copied once into the kernels' layout
  /// on transparent huge pages (decode streams every weight per token); norms and biases are used
  /// in place. Every size is checked against the file length: a truncated, oversized or absurd file
  /// throws engine::Error naming the file and the problem. `weight_type` other than f32 converts
  /// the f32, f16 and bf16 layer and classifier matrices once at load (matrices whose width does
  /// not fit the type's blocks, or already quantised, keep their type). `context_length` > 0
  /// replaces the file's context length (with a warning when longer; gpt2 cannot go past its
  /// learned positions: context_full).
  static std::shared_ptr<const Model> load(const std::string& path, DType weight_type = DType::f32,
                                           int context_length = 0);

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  /// Hyper-parameters.
  const ModelConfig& config() const;
  /// Whether RoPE runs on LongRoPE's long factors (the context is past the original one).
  bool uses_long_rope_factors() const;
  /// Views of the weights (valid as long as the Model), for the library and its tests.
  const TransformerWeights& weights() const;
  /// The file it was loaded from.
  const std::string& path() const;
  /// Size of that file.
  std::uint64_t file_bytes() const;
  /// Whether positions come from a learned embedding (gpt2): the model has none past
  /// config().seq_len, so neither a longer context nor a sliding window goes past it.
  bool has_learned_positions() const;
  /// Weights in the model (embeddings, layers, final norm, an unshared classifier).
  std::uint64_t parameter_count() const;
  /// Bytes of weights one decode step reads: every layer matrix, the norms, biases and the
  /// classifier (one embedding row is negligible), in their stored types.
  std::uint64_t weight_bytes_per_token() const;
  /// The types the matrix products run on: each type of the layer matrices and the classifier
  /// with its count of matrices, in DType order (one entry unless the file mixes types).
  std::vector<std::pair<DType, int>> matrix_types() const;

  /// The loaded state: the library's own (src/model/model_impl.hpp), hidden so that it can
  /// change without breaking apps built against this header.
  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  Model();

  std::unique_ptr<Impl> impl_;
};

}  // namespace engine
