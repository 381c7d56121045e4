#include "engine/model/model.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "engine/error.hpp"
#include "format/gguf_file.hpp"
#include "model/architecture.hpp"
#include "model/gguf_model.hpp"
#include "model/llama2c_checkpoint.hpp"
#include "model/model_impl.hpp"
#include "util/log.hpp"

namespace engine {

// The largest context the model readers accept from a file.
constexpr int kMaxContextLength = 1 << 20;

Model::Model() : impl_(std::make_unique<Impl>()) {}
Model::~Model() = default;

std::shared_ptr<const Model> Model::load(const std::string& path, DType weight_type,
                                         int context_length) {
  if (context_length < 0 || context_length > kMaxContextLength)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("context length {} is out of range [0, {}] (0: the file's)",
                            context_length, kMaxContextLength));
  std::shared_ptr<Model> model(new Model());
  Impl& m = *model->impl_;
  // The file is mapped: every matrix is read once, from the page cache, into the kernels' tile
  // layout (convert_weights), and only norms and biases are used in place.
  if (is_gguf_file(path)) {
    read_gguf_model(m, path);
  } else {
    read_llama2c_checkpoint(m, path);
  }
  // Learned positions (gpt2) end at the file's context: no position embedding exists past it.
  const int positions = m.weights_.position_embedding.rows;
  if (positions > 0 && context_length > positions)
    throw Error(ErrorCode::context_full,
                fmt::format("{}: a context of {} tokens is past the {} positions the model learned",
                            path, context_length, positions));
  if (context_length > m.config_.seq_len)
    log::warn("{}: context raised to {} tokens, past the {} the file declares", path,
              context_length, m.config_.seq_len);
  if (context_length > 0) m.config_.seq_len = context_length;
  if (!m.long_rope_.long_factors.empty())
    m.rope_factors_ =
        m.uses_long_rope_factors() ? m.long_rope_.long_factors : m.long_rope_.short_factors;
  if (recipe(m.config_.architecture).rope != RopeStyle::none) m.init_rope();
  m.convert_weights(weight_type);
  m.pack_weights();  // for the block path (SessionOptions::block_path)
  const ModelConfig& c = m.config_;
  log::debug("{}: {} dim={} hidden={} layers={} heads={} kv_heads={} vocab={} seq_len={}", path,
             architecture_name(c.architecture), c.dim, c.hidden_dim, c.n_layers, c.n_heads,
             c.n_kv_heads, c.vocab_size, c.seq_len);
  return model;
}

const ModelConfig& Model::config() const {
  return impl_->config_;
}
bool Model::uses_long_rope_factors() const {
  return impl_->uses_long_rope_factors();
}
const TransformerWeights& Model::weights() const {
  return impl_->weights_;
}
const std::string& Model::path() const {
  return impl_->path_;
}
std::uint64_t Model::file_bytes() const {
  return impl_->file_bytes_;
}
bool Model::has_learned_positions() const {
  return impl_->weights_.position_embedding.rows > 0;
}

namespace {

// Floats in the vectors of a layer (norms and biases; absent ones count 0).
std::uint64_t vector_floats(const ModelConfig& c, const LayerWeights& l) {
  const std::uint64_t dim = c.dim, q = c.head_size() * c.n_heads, kv = c.kv_dim();
  const std::pair<const float*, std::uint64_t> vectors[] = {{l.rms_att, dim},
                                                            {l.rms_ffn, dim},
                                                            {l.att_norm_bias, dim},
                                                            {l.ffn_norm_bias, dim},
                                                            {l.bq, q},
                                                            {l.bk, kv},
                                                            {l.bv, kv},
                                                            {l.bo, dim},
                                                            {l.b3, c.hidden_dim},
                                                            {l.b2, dim},
                                                            {l.post_att_norm, dim},
                                                            {l.post_ffn_norm, dim}};
  std::uint64_t n = 0;
  for (const auto& [v, size] : vectors) n += v ? size : 0;
  return n;
}

std::uint64_t elements(const Matrix& m) {
  return static_cast<std::uint64_t>(m.rows) * m.cols;
}

// Floats of the final norm: its weights, and its bias (gpt2).
std::uint64_t final_norm_floats(const ModelConfig& c, const TransformerWeights& w) {
  return static_cast<std::uint64_t>(c.dim) * ((w.rms_final ? 1 : 0) + (w.final_norm_bias ? 1 : 0));
}

}  // namespace

std::uint64_t Model::parameter_count() const {
  const TransformerWeights& w = weights();
  std::uint64_t n = elements(w.token_embedding) + elements(w.position_embedding) +
                    (config().shared_classifier ? 0 : elements(w.wcls));
  n += final_norm_floats(config(), w);
  for (const LayerWeights& l : w.layers) {
    n += vector_floats(config(), l);
    for (const Matrix* m : l.matrices()) n += elements(*m);
  }
  return n;
}

std::uint64_t Model::weight_bytes_per_token() const {
  const TransformerWeights& w = weights();
  std::uint64_t bytes = w.wcls.bytes() + final_norm_floats(config(), w) * sizeof(float);
  for (const LayerWeights& l : w.layers) {
    bytes += vector_floats(config(), l) * sizeof(float);
    for (const Matrix* m : l.matrices()) bytes += m->bytes();
  }
  return bytes;
}

std::vector<std::pair<DType, int>> Model::matrix_types() const {
  std::map<DType, int> counts;
  for (const LayerWeights& l : weights().layers)
    for (const Matrix* m : l.matrices())
      if (m->data) ++counts[m->dtype];
  ++counts[weights().wcls.dtype];
  return {counts.begin(), counts.end()};
}

// Computed exactly as llama2.c's run.c does (float pow/cos/sin), not read from the file; a
// frequency factor (Llama 3.1+, LongRoPE) divides its frequency, linear scaling multiplies them
// all and the attention factor (LongRoPE) cos and sin, as llama.cpp applies them (all 1 otherwise:
// exact, so the llama2.c bits stay).
void Model::Impl::compute_rope(int pos, float* cos, float* sin) const {
  for (int i = 0; i < config_.head_size() / 2; ++i) {
    const float freq =
        1.0f / std::pow(config_.rope_theta, static_cast<float>(2 * i) / config_.head_size());
    const float factor = rope_factors_.empty() ? 1.0f : rope_factors_[i];
    const float angle = static_cast<float>(pos) * (freq / factor * config_.rope_freq_scale);
    cos[i] = std::cos(angle) * config_.rope_attn_factor;
    sin[i] = std::sin(angle) * config_.rope_attn_factor;
  }
}

void Model::Impl::init_rope() {
  rope_cos_.resize(static_cast<std::size_t>(config_.seq_len) * (config_.head_size() / 2));
  rope_sin_.resize(rope_cos_.size());
  for (int pos = 0; pos < config_.seq_len; ++pos)
    compute_rope(pos, rope_cos_.data() + rope_row(pos), rope_sin_.data() + rope_row(pos));
}

}  // namespace engine
