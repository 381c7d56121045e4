// GGUF models of the `llama` and `gpt2` architectures (as llama.cpp's converters write them) ->
// Model. Hyper-parameters come from the llama.* / gpt2.* metadata, weights from the standard
// tensor names, in whatever type the file has (the matmul kernels take f32, f16, bf16, q8_0; a
// load lays every matrix out in tiles, ops/tile_layout.hpp).
// GGUF lists dimensions fastest-varying first, so a (rows, cols) matrix has dims {cols, rows}.
// No Q/K row permutation is undone: llama.cpp rotates consecutive pairs for `llama` exactly as
// we do, so its HF converter already permutes Q/K for that and its llama2.c converter, like
// llama2.c, never needed to (stories260K.gguf gives the logits of stories260K.bin).
#include <fmt/format.h>

#include <set>

#include "engine/error.hpp"
#include "engine/model/model.hpp"
#include "format/gguf_file.hpp"
#include "ops/weight_format.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

[[noreturn]] void unsupported(const std::string& path, const std::string& problem) {
  throw Error(ErrorCode::unsupported, fmt::format("{}: {}", path, problem));
}

// The weight format reading ggml type `ggml_type`, if any (ops/weight_format.hpp).
std::optional<DType> dtype_of(std::uint32_t ggml_type) {
  for (const WeightFormat* f : weight_formats())
    if (f->ggml_type == ggml_type) return f->dtype;
  return std::nullopt;
}

}  // namespace

class GgufModelReader {
 public:
  static void read(Model& model, const std::string& path) {
    model.file_ = std::make_unique<MappedFile>(path);
    model.path_ = path;
    model.file_bytes_ = model.file_->size();
    GgufModelReader reader(model, GgufFile({model.file_->data(), model.file_->size()}, path));
    reader.read_config();
    reader.read_weights();
  }

 private:
  GgufModelReader(Model& model, GgufFile gguf) : model_(model), gguf_(std::move(gguf)) {}

  // The metadata key `name` of the architecture: "llama.<name>" or "gpt2.<name>".
  std::string key(std::string_view name) const {
    return fmt::format("{}.{}", architecture_name(model_.config_.architecture), name);
  }

  // A hyper-parameter of the architecture in [1, max].
  int size_key(std::string_view name, std::uint64_t max) const {
    const std::string key = this->key(name);
    const std::uint64_t value = gguf_.get<std::uint64_t>(key);
    if (value < 1 || value > max)
      gguf_.fail(fmt::format("{} = {} is out of range [1, {}]", key, value, max));
    return static_cast<int>(value);
  }

  void read_config() {
    ModelConfig& c = model_.config_;
    const auto architecture = gguf_.get<std::string_view>("general.architecture");
    if (architecture == architecture_name(Architecture::gpt2))
      c.architecture = Architecture::gpt2;
    else if (architecture != architecture_name(Architecture::llama))
      unsupported(gguf_.source(),
                  fmt::format("architecture '{}' is not supported (llama or gpt2)", architecture));
    c.dim = size_key("embedding_length", 1 << 16);
    c.hidden_dim = size_key("feed_forward_length", 1 << 18);
    c.n_layers = size_key("block_count", 1 << 10);
    c.n_heads = size_key("attention.head_count", 1 << 10);
    c.n_kv_heads = c.n_heads;
    c.seq_len = size_key("context_length", 1 << 20);
    if (c.architecture == Architecture::llama) read_llama_config();
    c.norm_eps = static_cast<float>(gguf_.get<double>(key(c.architecture == Architecture::llama
                                                              ? "attention.layer_norm_rms_epsilon"
                                                              : "attention.layer_norm_epsilon")));
    if (!(c.norm_eps > 0)) gguf_.fail(fmt::format("norm epsilon {} must be positive", c.norm_eps));
    if (c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0)
      gguf_.fail(
          fmt::format("head counts {} (query) and {} (key/value) do not divide the "
                      "embedding length {} into whole heads and groups",
                      c.n_heads, c.n_kv_heads, c.dim));
    // We rotate every dimension of a head, in pairs.
    const auto rope_dims = gguf_.find<std::uint64_t>("llama.rope.dimension_count");
    if (c.architecture == Architecture::llama &&
        (c.head_size() % 2 != 0 || (rope_dims && *rope_dims != std::uint64_t(c.head_size()))))
      unsupported(gguf_.source(), fmt::format("RoPE over {} of the {} dimensions of a head",
                                              rope_dims.value_or(c.head_size()), c.head_size()));
  }

  // What only llama has: grouped-query heads and RoPE (and variants we refuse).
  void read_llama_config() {
    ModelConfig& c = model_.config_;
    if (gguf_.find<std::uint64_t>("llama.expert_count").value_or(0) > 0)
      unsupported(gguf_.source(), "mixture-of-experts llama models are not supported");
    const auto scaling = gguf_.find<std::string_view>("llama.rope.scaling.type");
    if (scaling && *scaling != "none")
      unsupported(gguf_.source(), fmt::format("RoPE scaling '{}' is not supported", *scaling));
    if (gguf_.find_value("llama.attention.head_count_kv"))
      c.n_kv_heads = size_key("attention.head_count_kv", 1 << 10);
    c.rope_theta =
        static_cast<float>(gguf_.find<double>("llama.rope.freq_base").value_or(c.rope_theta));
    if (!(c.rope_theta > 0)) gguf_.fail(fmt::format("RoPE base {} must be positive", c.rope_theta));
  }

  void read_weights() {
    ModelConfig& c = model_.config_;
    TransformerWeights& w = model_.weights_;
    const GgufTensorInfo& embedding = tensor("token_embd.weight");
    if (embedding.dims.size() != 2 || embedding.dims[1] > (1 << 22))
      gguf_.fail("token_embd.weight is not a (vocabulary, embedding) matrix");
    c.vocab_size = static_cast<int>(embedding.dims[1]);
    if (const auto vocab = gguf_.find<std::uint64_t>(key("vocab_size"));
        vocab && *vocab != std::uint64_t(c.vocab_size))
      gguf_.fail(fmt::format("{} {} but token_embd.weight has {} rows", key("vocab_size"), *vocab,
                             c.vocab_size));
    w.token_embedding = matrix("token_embd.weight", c.vocab_size, c.dim);
    w.layers.resize(c.n_layers);
    for (int i = 0; i < c.n_layers; ++i) {
      if (c.architecture == Architecture::llama)
        read_llama_layer(i, w.layers[i]);
      else
        read_gpt2_layer(i, w.layers[i]);
    }
    w.rms_final = vector("output_norm.weight", c.dim);
    if (c.architecture == Architecture::gpt2) {
      w.final_norm_bias = vector("output_norm.bias", c.dim);
      w.position_embedding = matrix("position_embd.weight", c.seq_len, c.dim);
    }
    c.shared_classifier = gguf_.find_tensor("output.weight") == nullptr;
    w.wcls = c.shared_classifier ? w.token_embedding : matrix("output.weight", c.vocab_size, c.dim);
    // A tensor we did not read (a bias, RoPE frequency factors, ...) belongs to a variant of the
    // architecture that we would silently run wrong.
    for (const GgufTensorInfo& t : gguf_.tensors())
      if (!used_.contains(t.name))
        unsupported(gguf_.source(),
                    fmt::format("tensor '{}' is not part of the {} architecture we run", t.name,
                                architecture_name(c.architecture)));
  }

  static std::string layer_tensor(int layer, std::string_view part, std::string_view kind) {
    return fmt::format("blk.{}.{}.{}", layer, part, kind);
  }

  void read_llama_layer(int i, LayerWeights& l) {
    const ModelConfig& c = model_.config_;
    const auto name = [i](std::string_view part) { return layer_tensor(i, part, "weight"); };
    const int q_dim = c.head_size() * c.n_heads;
    l.rms_att = vector(name("attn_norm"), c.dim);
    l.wq = matrix(name("attn_q"), q_dim, c.dim);
    l.wk = matrix(name("attn_k"), c.kv_dim(), c.dim);
    l.wv = matrix(name("attn_v"), c.kv_dim(), c.dim);
    l.wo = matrix(name("attn_output"), c.dim, q_dim);
    l.rms_ffn = vector(name("ffn_norm"), c.dim);
    l.w1 = matrix(name("ffn_gate"), c.hidden_dim, c.dim);
    l.w2 = matrix(name("ffn_down"), c.dim, c.hidden_dim);
    l.w3 = matrix(name("ffn_up"), c.hidden_dim, c.dim);
  }

  // Every gpt2 layer tensor has a weight and a bias.
  void read_gpt2_layer(int i, LayerWeights& l) {
    const ModelConfig& c = model_.config_;
    const int dim = c.dim, hidden = c.hidden_dim;
    const auto weight = [i](std::string_view part) { return layer_tensor(i, part, "weight"); };
    const auto bias = [&](std::string_view part, int n) {
      return vector(layer_tensor(i, part, "bias"), n);
    };
    l.rms_att = vector(weight("attn_norm"), dim);
    l.att_norm_bias = bias("attn_norm", dim);
    const Matrix qkv = matrix(weight("attn_qkv"), 3 * dim, dim);
    l.wq = qkv.row_range(0, dim);
    l.wk = qkv.row_range(dim, dim);
    l.wv = qkv.row_range(2 * dim, dim);
    l.bq = bias("attn_qkv", 3 * dim);
    l.bk = l.bq + dim;
    l.bv = l.bq + 2 * dim;
    l.wo = matrix(weight("attn_output"), dim, dim);
    l.bo = bias("attn_output", dim);
    l.rms_ffn = vector(weight("ffn_norm"), dim);
    l.ffn_norm_bias = bias("ffn_norm", dim);
    l.w3 = matrix(weight("ffn_up"), hidden, dim);
    l.b3 = bias("ffn_up", hidden);
    l.w2 = matrix(weight("ffn_down"), dim, hidden);
    l.b2 = bias("ffn_down", dim);
  }

  const GgufTensorInfo& tensor(const std::string& name) {
    const GgufTensorInfo* t = gguf_.find_tensor(name);
    if (!t) gguf_.fail(fmt::format("tensor '{}' is missing", name));
    used_.insert(t->name);
    return *t;
  }

  void expect_dims(const GgufTensorInfo& t, std::vector<std::uint64_t> dims) const {
    if (t.dims != dims)
      gguf_.fail(fmt::format("tensor '{}' has dims [{}], expected [{}]", t.name,
                             fmt::join(t.dims, ", "), fmt::join(dims, ", ")));
  }

  Matrix matrix(const std::string& name, int rows, int cols) {
    const GgufTensorInfo& t = tensor(name);
    expect_dims(t, {std::uint64_t(cols), std::uint64_t(rows)});
    const auto dtype = dtype_of(t.type);
    if (!dtype)
      unsupported(gguf_.source(),
                  fmt::format("tensor '{}' is {}: weights of that type are not supported (f32, "
                              "f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K ... q6_K are)",
                              t.name, t.layout.name));
    return {t.data, *dtype, rows, cols};
  }

  // Norm weights and biases are applied as floats: llama.cpp's converters always store
  // one-dimensional tensors as f32.
  const float* vector(const std::string& name, int n) {
    const GgufTensorInfo& t = tensor(name);
    expect_dims(t, {std::uint64_t(n)});
    if (t.type != kGgmlF32)
      unsupported(gguf_.source(), fmt::format("vector tensor '{}' is {}, only f32 is supported",
                                              t.name, t.layout.name));
    return reinterpret_cast<const float*>(t.data);
  }

  Model& model_;
  const GgufFile gguf_;
  std::set<std::string_view> used_;
};

void read_gguf_model(Model& model, const std::string& path) {
  GgufModelReader::read(model, path);
}

}  // namespace engine
