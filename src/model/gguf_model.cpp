// GGUF models of the `llama` architecture (as llama.cpp's converters write them) -> Model.
// Hyper-parameters come from the llama.* metadata, weights from the standard tensor names, used
// in place in the mapped file whatever their type (the matmul kernels take f32, f16, bf16, q8_0).
// GGUF lists dimensions fastest-varying first, so a (rows, cols) matrix has dims {cols, rows}.
// No Q/K row permutation is undone: llama.cpp rotates consecutive pairs for `llama` exactly as
// we do, so its HF converter already permutes Q/K for that and its llama2.c converter, like
// llama2.c, never needed to (stories260K.gguf gives the logits of stories260K.bin).
#include <fmt/format.h>

#include <set>

#include "engine/error.hpp"
#include "engine/model/model.hpp"
#include "format/gguf_file.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

[[noreturn]] void unsupported(const std::string& path, const std::string& problem) {
  throw Error(ErrorCode::unsupported, fmt::format("{}: {}", path, problem));
}

std::optional<DType> dtype_of(std::uint32_t ggml_type) {
  switch (ggml_type) {
    case kGgmlF32:
      return DType::f32;
    case kGgmlF16:
      return DType::f16;
    case kGgmlBf16:
      return DType::bf16;
    case kGgmlQ8_0:
      return DType::q8_0;
    default:
      return std::nullopt;
  }
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

  // A llama.* hyper-parameter in [1, max].
  int size_key(std::string_view name, std::uint64_t max) const {
    const std::string key = fmt::format("llama.{}", name);
    const std::uint64_t value = gguf_.get<std::uint64_t>(key);
    if (value < 1 || value > max)
      gguf_.fail(fmt::format("{} = {} is out of range [1, {}]", key, value, max));
    return static_cast<int>(value);
  }

  void read_config() {
    const auto architecture = gguf_.get<std::string_view>("general.architecture");
    if (architecture != "llama")
      unsupported(gguf_.source(),
                  fmt::format("architecture '{}' is not supported (only llama)", architecture));
    if (gguf_.find<std::uint64_t>("llama.expert_count").value_or(0) > 0)
      unsupported(gguf_.source(), "mixture-of-experts llama models are not supported");
    const auto scaling = gguf_.find<std::string_view>("llama.rope.scaling.type");
    if (scaling && *scaling != "none")
      unsupported(gguf_.source(), fmt::format("RoPE scaling '{}' is not supported", *scaling));

    ModelConfig& c = model_.config_;
    c.dim = size_key("embedding_length", 1 << 16);
    c.hidden_dim = size_key("feed_forward_length", 1 << 18);
    c.n_layers = size_key("block_count", 1 << 10);
    c.n_heads = size_key("attention.head_count", 1 << 10);
    c.n_kv_heads = gguf_.find_value("llama.attention.head_count_kv")
                       ? size_key("attention.head_count_kv", 1 << 10)
                       : c.n_heads;
    c.seq_len = size_key("context_length", 1 << 20);
    c.norm_eps = static_cast<float>(gguf_.get<double>("llama.attention.layer_norm_rms_epsilon"));
    c.rope_theta =
        static_cast<float>(gguf_.find<double>("llama.rope.freq_base").value_or(c.rope_theta));
    if (!(c.norm_eps > 0) || !(c.rope_theta > 0))
      gguf_.fail(fmt::format("RMSNorm epsilon {} and RoPE base {} must be positive", c.norm_eps,
                             c.rope_theta));
    if (c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0)
      gguf_.fail(
          fmt::format("head counts {} (query) and {} (key/value) do not divide the "
                      "embedding length {} into whole heads and groups",
                      c.n_heads, c.n_kv_heads, c.dim));
    // We rotate every dimension of a head, in pairs.
    const auto rope_dims = gguf_.find<std::uint64_t>("llama.rope.dimension_count");
    if (c.head_size() % 2 != 0 || (rope_dims && *rope_dims != std::uint64_t(c.head_size())))
      unsupported(gguf_.source(), fmt::format("RoPE over {} of the {} dimensions of a head",
                                              rope_dims.value_or(c.head_size()), c.head_size()));
  }

  void read_weights() {
    ModelConfig& c = model_.config_;
    TransformerWeights& w = model_.weights_;
    const GgufTensorInfo& embedding = tensor("token_embd.weight");
    if (embedding.dims.size() != 2 || embedding.dims[1] > (1 << 22))
      gguf_.fail("token_embd.weight is not a (vocabulary, embedding) matrix");
    c.vocab_size = static_cast<int>(embedding.dims[1]);
    if (const auto vocab = gguf_.find<std::uint64_t>("llama.vocab_size");
        vocab && *vocab != std::uint64_t(c.vocab_size))
      gguf_.fail(fmt::format("llama.vocab_size {} but token_embd.weight has {} rows", *vocab,
                             c.vocab_size));
    const int q_dim = c.head_size() * c.n_heads;
    w.token_embedding = matrix("token_embd.weight", c.vocab_size, c.dim);
    w.layers.resize(c.n_layers);
    for (int i = 0; i < c.n_layers; ++i) {
      LayerWeights& l = w.layers[i];
      const auto name = [i](std::string_view part) {
        return fmt::format("blk.{}.{}.weight", i, part);
      };
      l.rms_att = norm(name("attn_norm"));
      l.wq = matrix(name("attn_q"), q_dim, c.dim);
      l.wk = matrix(name("attn_k"), c.kv_dim(), c.dim);
      l.wv = matrix(name("attn_v"), c.kv_dim(), c.dim);
      l.wo = matrix(name("attn_output"), c.dim, q_dim);
      l.rms_ffn = norm(name("ffn_norm"));
      l.w1 = matrix(name("ffn_gate"), c.hidden_dim, c.dim);
      l.w2 = matrix(name("ffn_down"), c.dim, c.hidden_dim);
      l.w3 = matrix(name("ffn_up"), c.hidden_dim, c.dim);
    }
    w.rms_final = norm("output_norm.weight");
    c.shared_classifier = gguf_.find_tensor("output.weight") == nullptr;
    w.wcls = c.shared_classifier ? w.token_embedding : matrix("output.weight", c.vocab_size, c.dim);
    // A tensor we did not read (a bias, RoPE frequency factors, ...) belongs to a variant of the
    // architecture that we would silently run wrong.
    for (const GgufTensorInfo& t : gguf_.tensors())
      if (!used_.contains(t.name))
        unsupported(
            gguf_.source(),
            fmt::format("tensor '{}' is not part of the llama architecture we run", t.name));
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
      unsupported(gguf_.source(), fmt::format("tensor '{}' is {}: only f32, f16, bf16 and q8_0 "
                                              "weights are supported",
                                              t.name, t.layout.name));
    return {t.data, *dtype, rows, cols};
  }

  // RMSNorm weights are applied as floats: llama.cpp's converters always store them as f32.
  const float* norm(const std::string& name) {
    const GgufTensorInfo& t = tensor(name);
    expect_dims(t, {std::uint64_t(model_.config_.dim)});
    if (t.type != kGgmlF32)
      unsupported(gguf_.source(), fmt::format("norm tensor '{}' is {}, only f32 is supported",
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
