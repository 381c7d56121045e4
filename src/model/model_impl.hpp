// What a loaded Model holds: its file, configuration, weights in the kernels' layout and RoPE
// tables. The model readers fill it in (gguf_model.hpp, llama2c_checkpoint.hpp), Model::load
// finishes it, and a Session reads it through Model::impl().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/model.hpp"
#include "model/weights.hpp"
#include "util/huge_page_buffer.hpp"
#include "util/mapped_file.hpp"

namespace engine {

struct Model::Impl {
  /// Phi-3's LongRoPE frequency divisors (GGUF rope_factors_long/short.weight, head_size / 2
  /// each): the long ones for a context past the original one the model was trained with, else
  /// the short ones, as llama.cpp chooses.
  struct LongRopeFactors {
    std::vector<float> long_factors, short_factors;
    int original_context = 0;  // rope.scaling.original_context_length
  };

  bool uses_long_rope_factors() const {
    return !long_rope_.long_factors.empty() && config_.seq_len > long_rope_.original_context;
  }
  /// RoPE rotation for `pos` (all but gpt2): cos and sin of pos * theta^(-2i/head_size) (divided
  /// by the file's frequency factor i, times the linear scaling), i < head_size / 2, both times
  /// the attention factor.
  const float* rope_cos(int pos) const { return rope_cos_.data() + rope_row(pos); }
  const float* rope_sin(int pos) const { return rope_sin_.data() + rope_row(pos); }
  /// The same rotation computed for any `pos` >= 0, also past the seq_len rows of the table (a
  /// sliding-window session runs past the context): head_size / 2 floats into each of cos, sin.
  void compute_rope(int pos, float* cos, float* sin) const;

  std::size_t rope_row(int pos) const {
    return static_cast<std::size_t>(pos) * (config_.head_size() / 2);
  }
  void init_rope();
  /// Every matrix to the layout its format's kernels read, the layer matrices and classifier
  /// stored f32 in weight_type.
  void convert_weights(DType weight_type);
  void pack_weights();
  /// Bytes of the buffers the load wrote (the matrices in their layouts and any packed copies
  /// for blocks of rows): the memory the model holds besides the mapped file.
  std::uint64_t loaded_bytes() const;

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
};

}  // namespace engine
