// GGUF models of the `llama`, `qwen2`, `phi3`, `gemma2` and `gpt2` architectures (as llama.cpp's
// converters write them) -> Model. Hyper-parameters come from the <architecture>.* metadata,
// weights from the standard tensor names (which ones: model/architecture.hpp), in whatever type
// the file has (the matmul kernels take f32, f16, bf16, q8_0; a load lays every matrix out in
// tiles, ops/tile_layout.hpp).
// GGUF lists dimensions fastest-varying first, so a (rows, cols) matrix has dims {cols, rows}.
// No Q/K row permutation is undone: llama.cpp rotates consecutive pairs for `llama` exactly as
// we do, so its HF converter already permutes Q/K for that and its llama2.c converter, like
// llama2.c, never needed to (stories260K.gguf gives the logits of stories260K.bin). qwen2, phi3
// and gemma2 keep Hugging Face's row order, which rotates halves (RopeStyle::halves).
#include "model/gguf_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <set>

#include "engine/error.hpp"
#include "format/gguf_file.hpp"
#include "model/architecture.hpp"
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
  static void read(Model::Impl& model, const std::string& path) {
    model.file_ = std::make_unique<MappedFile>(path);
    model.path_ = path;
    model.file_bytes_ = model.file_->size();
    GgufModelReader reader(model, GgufFile({model.file_->data(), model.file_->size()}, path));
    reader.read_config();
    reader.read_weights();
  }

 private:
  GgufModelReader(Model::Impl& model, GgufFile gguf) : model_(model), gguf_(std::move(gguf)) {}

  // The metadata key `name` of the architecture: "<architecture>.<name>".
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
    const Architecture known[] = {Architecture::llama, Architecture::gpt2, Architecture::qwen2,
                                  Architecture::phi3, Architecture::gemma2};
    const auto* found = std::find_if(std::begin(known), std::end(known), [&](Architecture a) {
      return architecture_name(a) == architecture;
    });
    if (found == std::end(known))
      unsupported(gguf_.source(),
                  fmt::format("architecture '{}' is not supported (llama, qwen2, phi3, gemma2 "
                              "or gpt2)",
                              architecture));
    c.architecture = *found;
    c.dim = size_key("embedding_length", 1 << 16);
    c.hidden_dim = size_key("feed_forward_length", 1 << 18);
    c.n_layers = size_key("block_count", 1 << 10);
    c.n_heads = size_key("attention.head_count", 1 << 10);
    c.n_kv_heads = c.n_heads;
    c.seq_len = size_key("context_length", 1 << 20);
    const bool rms = recipe(c.architecture).norm == NormKind::rms;
    c.norm_eps =
        finite_positive(rms ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon",
                        "norm epsilon", std::nullopt);
    if (c.architecture != Architecture::gpt2) read_rope_family_heads();
    if (c.head_dim == 0 && c.dim % c.n_heads != 0)
      gguf_.fail(fmt::format("{} heads do not divide the embedding length {} into whole heads",
                             c.n_heads, c.dim));
    if (c.n_heads % c.n_kv_heads != 0)
      gguf_.fail(fmt::format("{} key/value heads do not divide the {} query heads into groups",
                             c.n_kv_heads, c.n_heads));
    if (c.architecture != Architecture::gpt2) read_rope();
    if (c.architecture == Architecture::gemma2) read_gemma2_config();
  }

  // A float hyper-parameter `name` of the architecture ("<what>" in errors), finite and > 0;
  // `fallback` when absent (nullopt: required).
  float finite_positive(std::string_view name, std::string_view what,
                        std::optional<double> fallback) const {
    const std::string key = this->key(name);
    const std::optional<double> found = gguf_.find<double>(key);
    if (!found && !fallback) gguf_.get<double>(key);  // throws: the key is missing
    const auto value = static_cast<float>(found.value_or(fallback.value_or(0)));
    if (!std::isfinite(value) || !(value > 0))
      gguf_.fail(fmt::format("{} {} = {} must be finite and positive", what, key, value));
    return value;
  }

  // What the RoPE families share: grouped-query heads and the head width (and the variants we
  // refuse).
  void read_rope_family_heads() {
    ModelConfig& c = model_.config_;
    if (gguf_.find<std::uint64_t>(key("expert_count")).value_or(0) > 0)
      unsupported(gguf_.source(), fmt::format("mixture-of-experts {} models are not supported",
                                              architecture_name(c.architecture)));
    if (gguf_.find_value(key("attention.head_count_kv")))
      c.n_kv_heads = size_key("attention.head_count_kv", 1 << 10);
    // Llama 3.2 and Gemma 2 write the head width; Gemma 2's is not dim / heads.
    if (gguf_.find_value(key("attention.key_length"))) {
      c.head_dim = size_key("attention.key_length", 1 << 12);
      if (gguf_.find_value(key("attention.value_length")) &&
          size_key("attention.value_length", 1 << 12) != c.head_dim)
        unsupported(gguf_.source(), "values and keys of different widths are not supported");
    }
  }

  // RoPE's base, linear scaling and attention factor (which LongRoPE files write), over every
  // dimension of a head.
  void read_rope() {
    ModelConfig& c = model_.config_;
    c.rope_theta = finite_positive("rope.freq_base", "RoPE base", 10000.0);
    c.rope_attn_factor = finite_positive("rope.scaling.attn_factor", "RoPE attention factor", 1.0);
    const auto scaling = gguf_.find<std::string_view>(key("rope.scaling.type"));
    if (scaling == "linear")
      c.rope_freq_scale =
          1.0f / finite_positive("rope.scaling.factor", "RoPE scaling factor", std::nullopt);
    else if (scaling && *scaling != "none")
      unsupported(gguf_.source(), fmt::format("RoPE scaling '{}' is not supported", *scaling));
    // We rotate every dimension of a head.
    const auto rope_dims = gguf_.find<std::uint64_t>(key("rope.dimension_count"));
    if (c.head_size() % 2 != 0 || (rope_dims && *rope_dims != std::uint64_t(c.head_size())))
      unsupported(gguf_.source(), fmt::format("RoPE over {} of the {} dimensions of a head",
                                              rope_dims.value_or(c.head_size()), c.head_size()));
    // phi3 writes attention.sliding_window, but llama.cpp runs phi3 without it (its converter
    // does not say which layers have one, llama.cpp PR 13676): so do we, for the same logits.
  }

  // Gemma 2: soft-capping (llama.cpp's defaults 50 and 30 when absent), the window of its even
  // layers, and the query scale: 1/sqrt(query_pre_attn_scalar) when written, else llama.cpp's
  // rule (the head width, but dim / heads for the 46-layer 27B, as Gemma's own config has it).
  void read_gemma2_config() {
    ModelConfig& c = model_.config_;
    c.attention_softcap = finite_positive("attn_logit_softcapping", "soft-cap", 50.0);
    c.final_softcap = finite_positive("final_logit_softcapping", "soft-cap", 30.0);
    if (gguf_.find_value(key("attention.sliding_window")))
      c.sliding_window = size_key("attention.sliding_window", 1 << 20);
    const float fallback = c.n_layers == 46 ? static_cast<float>(c.dim / c.n_heads)
                                            : static_cast<float>(c.head_size());
    c.attention_scale =
        1.0f / std::sqrt(finite_positive("attention.query_pre_attn_scalar", "query scalar",
                                         static_cast<double>(fallback)));
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
      if (c.architecture == Architecture::gpt2)
        read_gpt2_layer(i, w.layers[i]);
      else
        read_rope_family_layer(i, w.layers[i]);
    }
    w.rms_final = vector("output_norm.weight", c.dim);
    if (c.architecture == Architecture::gpt2) {
      w.final_norm_bias = vector("output_norm.bias", c.dim);
      w.position_embedding = matrix("position_embd.weight", c.seq_len, c.dim);
    }
    if (gguf_.find_tensor("rope_freqs.weight"))
      model_.rope_factors_ = read_rope_factors("rope_freqs.weight");
    else if (gguf_.find_tensor("rope_factors_long.weight") ||
             gguf_.find_tensor("rope_factors_short.weight"))
      read_long_rope();
    c.shared_classifier = gguf_.find_tensor("output.weight") == nullptr;
    w.wcls = c.shared_classifier ? w.token_embedding : matrix("output.weight", c.vocab_size, c.dim);
    // A tensor we did not read (a bias, a norm, ...) belongs to a variant of the
    // architecture that we would silently run wrong.
    for (const GgufTensorInfo& t : gguf_.tensors())
      if (!used_.contains(t.name))
        unsupported(gguf_.source(),
                    fmt::format("tensor '{}' is not part of the {} architecture we run", t.name,
                                architecture_name(c.architecture)));
  }

  // RoPE frequency divisors `name` (Llama 3.1+'s rope_freqs, Phi-3's LongRoPE pair): frequency i
  // is divided by factor i, head_size / 2 of them.
  std::vector<float> read_rope_factors(const std::string& name) {
    const int n = model_.config_.head_size() / 2;
    const float* factors = vector(name, n);
    for (int i = 0; i < n; ++i)
      if (!std::isfinite(factors[i]) || !(factors[i] > 0))
        gguf_.fail(fmt::format("{}[{}] = {} must be finite and positive", name, i, factors[i]));
    return {factors, factors + n};
  }

  // Phi-3's LongRoPE: both factor tensors, and the context they are chosen by (Model::load).
  void read_long_rope() {
    Model::Impl::LongRopeFactors& f = model_.long_rope_;
    f.long_factors = read_rope_factors("rope_factors_long.weight");
    f.short_factors = read_rope_factors("rope_factors_short.weight");
    f.original_context = model_.config_.seq_len;
    if (gguf_.find_value(key("rope.scaling.original_context_length")))
      f.original_context = size_key("rope.scaling.original_context_length", 1 << 20);
  }

  static std::string layer_tensor(int layer, std::string_view part, std::string_view kind) {
    return fmt::format("blk.{}.{}.{}", layer, part, kind);
  }

  // A layer of llama, qwen2, phi3 or gemma2: RMSNorms, query/key/value/output projections and a
  // gated feed-forward, stored as their recipe says (fused or not, biases, post-norms).
  void read_rope_family_layer(int i, LayerWeights& l) {
    const ModelConfig& c = model_.config_;
    const LayerRecipe r = recipe(c.architecture);
    const auto name = [i](std::string_view part) { return layer_tensor(i, part, "weight"); };
    const int q_dim = c.q_dim(), kv_dim = c.kv_dim(), hidden = c.hidden_dim;
    l.rms_att = vector(name("attn_norm"), c.dim);
    if (r.fused_qkv) {
      const Matrix qkv = matrix(name("attn_qkv"), q_dim + 2 * kv_dim, c.dim);
      l.wq = qkv.row_range(0, q_dim);
      l.wk = qkv.row_range(q_dim, kv_dim);
      l.wv = qkv.row_range(q_dim + kv_dim, kv_dim);
    } else {
      l.wq = matrix(name("attn_q"), q_dim, c.dim);
      l.wk = matrix(name("attn_k"), kv_dim, c.dim);
      l.wv = matrix(name("attn_v"), kv_dim, c.dim);
    }
    if (r.qkv_biases) {
      l.bq = vector(layer_tensor(i, "attn_q", "bias"), q_dim);
      l.bk = vector(layer_tensor(i, "attn_k", "bias"), kv_dim);
      l.bv = vector(layer_tensor(i, "attn_v", "bias"), kv_dim);
    }
    l.wo = matrix(name("attn_output"), c.dim, q_dim);
    l.rms_ffn = vector(name("ffn_norm"), c.dim);
    if (r.fused_gate_up) {
      const Matrix gate_up = matrix(name("ffn_up"), 2 * hidden, c.dim);
      l.w1 = gate_up.row_range(0, hidden);
      l.w3 = gate_up.row_range(hidden, hidden);
    } else {
      l.w1 = matrix(name("ffn_gate"), hidden, c.dim);
      l.w3 = matrix(name("ffn_up"), hidden, c.dim);
    }
    l.w2 = matrix(name("ffn_down"), c.dim, hidden);
    if (r.post_norms) {
      l.post_att_norm = vector(name("post_attention_norm"), c.dim);
      l.post_ffn_norm = vector(name("post_ffw_norm"), c.dim);
    }
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

  Model::Impl& model_;
  const GgufFile gguf_;
  std::set<std::string_view> used_;
};

void read_gguf_model(Model::Impl& model, const std::string& path) {
  GgufModelReader::read(model, path);
}

}  // namespace engine
