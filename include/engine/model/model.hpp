// A loaded model: configuration plus weights, immutable once loaded and shareable across
// threads (each conversation gets its own Session).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/config.hpp"
#include "engine/model/weights.hpp"

namespace engine {

class HugePageBuffer;
class MappedFile;

class Model {
 public:
  /// Loads a llama2.c checkpoint (legacy header, or the versioned "ak42" v1 fp32 export) or a
  /// GGUF file of the llama, qwen2, phi3, gemma2 or gpt2 architecture (told apart by the magic).
  /// The file is mapped from the page cache and every matrix copied once into the kernels' layout
  /// on transparent huge pages (decode streams every weight per token); norms and biases are used
  /// in place. Every size is checked against the file length: a truncated, oversized or absurd file
  /// throws engine::Error naming the file and the problem. `weight_type` other than f32 converts
  /// the layer and classifier matrices once at load (matrices whose width does not fit the type's
  /// blocks stay f32). `context_length` > 0 replaces the file's context length (with a warning when
  /// longer; gpt2 cannot go past its learned positions: context_full).
  static std::shared_ptr<const Model> load(const std::string& path, DType weight_type = DType::f32,
                                           int context_length = 0);

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  /// Hyper-parameters.
  const ModelConfig& config() const { return config_; }
  /// Whether RoPE runs on LongRoPE's long factors (the context is past the original one).
  bool uses_long_rope_factors() const {
    return !long_rope_.long_factors.empty() && config_.seq_len > long_rope_.original_context;
  }
  /// Views of the weights (valid as long as the Model).
  const TransformerWeights& weights() const { return weights_; }
  /// The file it was loaded from.
  const std::string& path() const { return path_; }
  /// Size of that file.
  std::uint64_t file_bytes() const { return file_bytes_; }
  /// Whether positions come from a learned embedding (gpt2): the model has none past
  /// config().seq_len, so neither a longer context nor a sliding window goes past it.
  bool has_learned_positions() const { return weights_.position_embedding.rows > 0; }
  /// Weights in the model (embeddings, layers, final norm, an unshared classifier).
  std::uint64_t parameter_count() const;
  /// Bytes of weights one decode step reads: every layer matrix, the norms, biases and the
  /// classifier (one embedding row is negligible), in their stored types.
  std::uint64_t weight_bytes_per_token() const;

  /// RoPE rotation for `pos` (all but gpt2): cos and sin of pos * theta^(-2i/head_size) (divided
  /// by the file's frequency factor i, times the linear scaling), i < head_size / 2, both times
  /// the attention factor.
  const float* rope_cos(int pos) const { return rope_cos_.data() + rope_row(pos); }
  const float* rope_sin(int pos) const { return rope_sin_.data() + rope_row(pos); }
  /// The same rotation computed for any `pos` >= 0, also past the seq_len rows of the table (a
  /// sliding-window session runs past the context): head_size / 2 floats into each of cos, sin.
  void compute_rope(int pos, float* cos, float* sin) const;

 private:
  /// Phi-3's LongRoPE frequency divisors (GGUF rope_factors_long/short.weight, head_size / 2
  /// each): the long ones for a context past the original one the model was trained with, else
  /// the short ones, as llama.cpp chooses.
  struct LongRopeFactors {
    std::vector<float> long_factors, short_factors;
    int original_context = 0;  // rope.scaling.original_context_length
  };

  Model();
  std::size_t rope_row(int pos) const {
    return static_cast<std::size_t>(pos) * (config_.head_size() / 2);
  }
  void init_rope();
  /// Every matrix to the tile layout the kernels read, the layer matrices and classifier stored
  /// f32 in weight_type.
  void convert_weights(DType weight_type);
  void pack_weights();

  std::string path_;
  std::unique_ptr<MappedFile> file_;
  std::uint64_t file_bytes_ = 0;
  ModelConfig config_;
  TransformerWeights weights_;
  std::vector<float> rope_cos_;            // (seq_len, head_size / 2)
  std::vector<float> rope_sin_;            // (seq_len, head_size / 2)
  std::vector<float> rope_factors_;        // (head_size / 2) frequency divisors, or empty
  LongRopeFactors long_rope_;              // phi3's pair, one chosen into rope_factors_ at load
  std::vector<HugePageBuffer> converted_;  // weights converted or packed at load

  friend class Llama2cCheckpointReader;
  friend class GgufModelReader;
};

}  // namespace engine
