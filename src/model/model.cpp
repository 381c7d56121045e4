#include "engine/model/model.hpp"

#include <cmath>

#include "util/log.hpp"
#include "util/mapped_file.hpp"

namespace engine {

void read_llama2c_checkpoint(Model& model, const std::string& path);

Model::~Model() = default;

std::shared_ptr<const Model> Model::load(const std::string& path, DType weight_type) {
  std::shared_ptr<Model> model(new Model());
  read_llama2c_checkpoint(*model, path);
  model->init_rope();
  if (weight_type != DType::f32) model->convert_weights(weight_type);
  const ModelConfig& c = model->config_;
  log::debug("{}: dim={} hidden={} layers={} heads={} kv_heads={} vocab={} seq_len={}", path, c.dim,
             c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len);
  return model;
}

std::uint64_t Model::parameter_count() const {
  const ModelConfig& c = config_;
  const std::uint64_t dim = c.dim, layers = c.n_layers;
  const std::uint64_t q = dim * c.head_size() * c.n_heads, kv = dim * c.kv_dim();
  const std::uint64_t per_layer = 2 * dim + 2 * q + 2 * kv + 3 * dim * c.hidden_dim;
  const std::uint64_t embed = dim * c.vocab_size;
  return embed + layers * per_layer + dim + (c.shared_classifier ? 0 : embed);
}

std::uint64_t Model::weight_bytes_per_token() const {
  std::uint64_t bytes = weights_.wcls.bytes() + config_.dim * sizeof(float);
  for (const LayerWeights& l : weights_.layers)
    bytes += l.wq.bytes() + l.wk.bytes() + l.wv.bytes() + l.wo.bytes() + l.w1.bytes() +
             l.w2.bytes() + l.w3.bytes() + 2 * config_.dim * sizeof(float);
  return bytes;
}

// Computed exactly as llama2.c's run.c does (float pow/cos/sin), not read from the file.
void Model::init_rope() {
  const int half = config_.head_size() / 2;
  rope_cos_.resize(static_cast<std::size_t>(config_.seq_len) * half);
  rope_sin_.resize(rope_cos_.size());
  for (int pos = 0; pos < config_.seq_len; ++pos)
    for (int i = 0; i < half; ++i) {
      const float freq =
          1.0f / std::pow(config_.rope_theta, static_cast<float>(2 * i) / config_.head_size());
      const float angle = static_cast<float>(pos) * freq;
      rope_cos_[rope_row(pos) + i] = std::cos(angle);
      rope_sin_[rope_row(pos) + i] = std::sin(angle);
    }
}

}  // namespace engine
