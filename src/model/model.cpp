#include "engine/model/model.hpp"

#include <fmt/format.h>

#include <cmath>

#include "engine/error.hpp"
#include "format/gguf_file.hpp"
#include "util/log.hpp"
#include "util/mapped_file.hpp"

namespace engine {

void read_llama2c_checkpoint(Model& model, const std::string& path);
void read_gguf_model(Model& model, const std::string& path);

// The largest context the model readers accept from a file.
constexpr int kMaxContextLength = 1 << 20;

Model::~Model() = default;

std::shared_ptr<const Model> Model::load(const std::string& path, DType weight_type,
                                         int context_length) {
  if (context_length < 0 || context_length > kMaxContextLength)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("context length {} is out of range [0, {}] (0: the file's)",
                            context_length, kMaxContextLength));
  std::shared_ptr<Model> model(new Model());
  if (is_gguf_file(path)) {
    read_gguf_model(*model, path);
  } else {
    read_llama2c_checkpoint(*model, path);
  }
  if (context_length > model->config_.seq_len)
    log::warn("{}: context raised to {} tokens, past the {} the file declares", path,
              context_length, model->config_.seq_len);
  if (context_length > 0) model->config_.seq_len = context_length;
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
void Model::compute_rope(int pos, float* cos, float* sin) const {
  for (int i = 0; i < config_.head_size() / 2; ++i) {
    const float freq =
        1.0f / std::pow(config_.rope_theta, static_cast<float>(2 * i) / config_.head_size());
    const float angle = static_cast<float>(pos) * freq;
    cos[i] = std::cos(angle);
    sin[i] = std::sin(angle);
  }
}

void Model::init_rope() {
  rope_cos_.resize(static_cast<std::size_t>(config_.seq_len) * (config_.head_size() / 2));
  rope_sin_.resize(rope_cos_.size());
  for (int pos = 0; pos < config_.seq_len; ++pos)
    compute_rope(pos, rope_cos_.data() + rope_row(pos), rope_sin_.data() + rope_row(pos));
}

}  // namespace engine
