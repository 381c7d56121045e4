// GGUF llama models: llama.cpp's conversion of stories260K runs exactly like the llama2.c
// checkpoint; GGUF files written here from that checkpoint (tied classifier, Q8_0 tensors) too;
// and models that are malformed or of a kind we cannot run give clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <tuple>

#include "engine/error.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"
#include "expect_engine_error.hpp"
#include "ops/quantize.hpp"
#include "test_gguf_builder.hpp"
#include "test_paths.hpp"
#include "tiled_weights.hpp"

namespace engine {
namespace {

using test::TestGgufBuilder;

constexpr std::uint32_t kF32 = 0, kF16 = 1, kQ8_0 = 8, kIq4Nl = 20;

std::vector<int> prompt20() {
  const auto tokenizer = load_tokenizer(test::require_model("tok512.bin"));
  std::vector<int> ids = tokenizer->encode(
      "Once upon a time, there was a little girl named Lily. She loved to play outside", true,
      false);
  ids.resize(20);
  return ids;
}

std::vector<float> all_logits(const std::shared_ptr<const Model>& model) {
  Session session(model);
  const auto logits = session.forward(prompt20(), /*all_logits=*/true);
  return {logits.begin(), logits.end()};
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float diff = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    diff = std::max(diff, std::abs(a[i] - b[i]));
  return diff;
}

TEST(GgufModel, Stories260KHasTheCheckpointShape) {
  const auto model = Model::load(test::require_model("stories260K.gguf"));
  const ModelConfig& c = model->config();
  const auto checkpoint = Model::load(test::require_model("stories260K.bin"));
  const ModelConfig& want = checkpoint->config();
  EXPECT_EQ(std::tie(c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size),
            std::tie(want.dim, want.hidden_dim, want.n_layers, want.n_heads, want.n_kv_heads,
                     want.vocab_size));
  EXPECT_EQ(c.seq_len, 128);  // what llama.cpp's converter wrote; the model was trained on 512
  EXPECT_FLOAT_EQ(c.norm_eps, want.norm_eps);
  EXPECT_FALSE(c.shared_classifier);  // the converter writes output.weight
  EXPECT_EQ(model->weights().layers[0].wq.dtype, DType::f32);
}

// llama.cpp's llama2.c converter writes the weights as they are: no Q/K permutation to undo.
TEST(GgufModel, Stories260KLogitsEqualTheCheckpoint) {
  const auto gguf = all_logits(Model::load(test::require_model("stories260K.gguf")));
  const auto bin = all_logits(Model::load(test::require_model("stories260K.bin")));
  EXPECT_LE(max_abs_diff(gguf, bin), 1e-5f);
}

TEST(GgufModel, ContextLengthOverride) {
  const std::string path = test::require_model("stories260K.gguf");
  EXPECT_EQ(Model::load(path, DType::f32, 512)->config().seq_len, 512);
  EXPECT_EQ(Model::load(path, DType::f32, 16)->config().seq_len, 16);
  EXPECT_EQ(Model::load(test::require_model("stories260K.bin"), DType::f32, 64)->config().seq_len,
            64);
  EXPECT_THROW(Model::load(path, DType::f32, -1), Error);
}

// GGUF files written from the llama2.c checkpoint, with a hook to break them.
class GgufWrittenModel : public ::testing::Test {
 protected:
  struct Tensor {
    std::string name;
    std::vector<std::uint64_t> dims;  // fastest-varying first
    std::uint32_t type;
    std::string data;
  };
  struct Options {
    bool tied = true;
    bool q8_0 = false;                                     // layer matrices and output as Q8_0
    bool embedding_q8_0 = false;                           // the token embedding as Q8_0
    std::string skip_key;                                  // metadata to leave out
    std::function<void(TestGgufBuilder&)> extra_metadata;  // more (or overriding) metadata
    std::function<void(std::vector<Tensor>&)> edit_tensors;
  };
  // Options that replace metadata `key` (left out when `add` is empty), add metadata, or edit
  // the tensors.
  static Options replace(std::string key, std::function<void(TestGgufBuilder&)> add = {}) {
    Options o;
    o.skip_key = std::move(key);
    o.extra_metadata = std::move(add);
    return o;
  }
  static Options add(std::function<void(TestGgufBuilder&)> metadata) {
    return replace("", std::move(metadata));
  }
  static Options edit(std::function<void(std::vector<Tensor>&)> tensors) {
    Options o;
    o.edit_tensors = std::move(tensors);
    return o;
  }

  void SetUp() override {
    checkpoint_ = Model::load(test::require_model("stories260K.bin"));
    path_ = (std::filesystem::temp_directory_path() /
             ("written_" + std::to_string(::getpid()) + ".gguf"))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }

  static Tensor matrix(std::string name, const Matrix& m, bool q8_0) {
    const std::vector<float> values = test::matrix_values(m);
    const float* data = values.data();
    const std::uint64_t rows = m.rows, cols = m.cols;
    if (!q8_0 || cols % 32 != 0)
      return {std::move(name),
              {cols, rows},
              kF32,
              TestGgufBuilder::floats(std::vector<float>(data, data + rows * cols))};
    std::string bytes(rows * cols / 32 * 34, '\0');
    for (std::uint64_t r = 0; r < rows; ++r)
      quantize_row_q8_0(data + r * cols,
                        reinterpret_cast<std::uint8_t*>(bytes.data()) + r * cols / 32 * 34, cols);
    return {std::move(name), {cols, rows}, kQ8_0, std::move(bytes)};
  }
  Tensor norm(std::string name, const float* data) const {
    const int dim = checkpoint_->config().dim;
    return {std::move(name),
            {std::uint64_t(dim)},
            kF32,
            TestGgufBuilder::floats(std::vector<float>(data, data + dim))};
  }

  std::string write() const { return write(Options()); }
  std::string write(const Options& o) const {
    const ModelConfig& c = checkpoint_->config();
    const TransformerWeights& w = checkpoint_->weights();
    TestGgufBuilder g;
    const auto u32 = [&](const std::string& key, int value) {
      if (key != o.skip_key) g.kv_u32(key, value);
    };
    if (o.skip_key != "general.architecture") g.kv_string("general.architecture", "llama");
    u32("llama.context_length", c.seq_len);
    u32("llama.embedding_length", c.dim);
    u32("llama.feed_forward_length", c.hidden_dim);
    u32("llama.block_count", c.n_layers);
    u32("llama.attention.head_count", c.n_heads);
    u32("llama.attention.head_count_kv", c.n_kv_heads);
    u32("llama.rope.dimension_count", c.head_size());
    if (o.skip_key != "llama.attention.layer_norm_rms_epsilon")
      g.kv_f32("llama.attention.layer_norm_rms_epsilon", c.norm_eps);
    if (o.extra_metadata) o.extra_metadata(g);
    std::vector<Tensor> tensors = {
        matrix("token_embd.weight", w.token_embedding, o.embedding_q8_0)};
    for (int i = 0; i < c.n_layers; ++i) {
      const LayerWeights& l = w.layers[i];
      const std::string blk = "blk." + std::to_string(i) + ".";
      tensors.push_back(norm(blk + "attn_norm.weight", l.rms_att));
      tensors.push_back(matrix(blk + "attn_q.weight", l.wq, o.q8_0));
      tensors.push_back(matrix(blk + "attn_k.weight", l.wk, o.q8_0));
      tensors.push_back(matrix(blk + "attn_v.weight", l.wv, o.q8_0));
      tensors.push_back(matrix(blk + "attn_output.weight", l.wo, o.q8_0));
      tensors.push_back(norm(blk + "ffn_norm.weight", l.rms_ffn));
      tensors.push_back(matrix(blk + "ffn_gate.weight", l.w1, o.q8_0));
      tensors.push_back(matrix(blk + "ffn_down.weight", l.w2, o.q8_0));
      tensors.push_back(matrix(blk + "ffn_up.weight", l.w3, o.q8_0));
    }
    tensors.push_back(norm("output_norm.weight", w.rms_final));
    if (!o.tied) tensors.push_back(matrix("output.weight", w.wcls, o.q8_0));
    if (o.edit_tensors) o.edit_tensors(tensors);
    for (const Tensor& t : tensors) g.tensor(t.name, t.dims, t.type, t.data);
    std::ofstream(path_, std::ios::binary) << g.bytes();
    return path_;
  }

  void expect_error(const Options& o, const std::string& needle,
                    ErrorCode code = ErrorCode::bad_format) {
    const std::string path = write(o);
    test::expect_engine_error([&] { Model::load(path); }, code, {path, needle});
  }

  static std::function<void(std::vector<Tensor>&)> set_type(std::string name, std::uint32_t type,
                                                            std::string data) {
    return [=](std::vector<Tensor>& tensors) {
      for (Tensor& t : tensors)
        if (t.name == name) {
          t.type = type;
          t.data = data;
        }
    };
  }

  std::shared_ptr<const Model> checkpoint_;
  std::string path_;
};

TEST_F(GgufWrittenModel, TiedClassifierRunsLikeTheCheckpoint) {
  const auto model = Model::load(write());
  EXPECT_TRUE(model->config().shared_classifier);
  EXPECT_EQ(model->parameter_count(), checkpoint_->parameter_count());
  EXPECT_EQ(max_abs_diff(all_logits(model), all_logits(checkpoint_)), 0.0f);
}

// Q8_0 tensors of a file run like f32 weights converted to Q8_0 at load (both in the same tiles).
TEST_F(GgufWrittenModel, Q8_0TensorsRunLikeConvertedWeights) {
  Options options;
  options.tied = false;
  options.q8_0 = true;
  const auto model = Model::load(write(options));
  EXPECT_EQ(model->weights().layers[0].wq.dtype, DType::q8_0);
  EXPECT_EQ(model->weights().layers[0].w2.dtype, DType::f32);  // 172 wide: not whole blocks
  EXPECT_EQ(model->weights().wcls.dtype, DType::q8_0);
  const auto converted = Model::load(test::require_model("stories260K.bin"), DType::q8_0);
  EXPECT_EQ(max_abs_diff(all_logits(model), all_logits(converted)), 0.0f);
}

// A Q8_0 token embedding is read a row per token from its tiles, and a tied classifier runs on
// the same tiles: the same logits as a file holding the classifier as a tensor of its own.
TEST_F(GgufWrittenModel, TiedQ8_0EmbeddingRunsLikeASeparateClassifier) {
  Options options;
  options.q8_0 = true;
  options.embedding_q8_0 = true;
  const auto tied = Model::load(write(options));
  const TransformerWeights& w = tied->weights();
  EXPECT_EQ(w.token_embedding.dtype, DType::q8_0);
  EXPECT_EQ(w.wcls.data, w.token_embedding.data);  // one copy
  const std::vector<float> tied_logits = all_logits(tied);
  options.tied = false;
  const auto separate = Model::load(write(options));
  EXPECT_NE(separate->weights().wcls.data, separate->weights().token_embedding.data);
  EXPECT_EQ(max_abs_diff(tied_logits, all_logits(separate)), 0.0f);
  // And near the f32 model (stories260K's documented q8_0 bound, see session_test).
  EXPECT_LT(max_abs_diff(tied_logits, all_logits(checkpoint_)), 0.75f);
}

TEST_F(GgufWrittenModel, MissingMetadataOrTensors) {
  expect_error(replace("llama.block_count"), "required metadata 'llama.block_count' is missing");
  expect_error(replace("llama.attention.layer_norm_rms_epsilon"),
               "'llama.attention.layer_norm_rms_epsilon' is missing");
  expect_error(edit([](auto& t) { t.erase(t.begin() + 3); }),
               "tensor 'blk.0.attn_k.weight' is missing");
  expect_error(edit([](auto& t) { t.pop_back(); }), "tensor 'output_norm.weight' is missing");
}

TEST_F(GgufWrittenModel, InconsistentHyperParameters) {
  expect_error(replace("llama.attention.head_count",
                       [](TestGgufBuilder& g) { g.kv_u32("llama.attention.head_count", 7); }),
               "do not divide");
  expect_error(
      replace("llama.block_count", [](TestGgufBuilder& g) { g.kv_u32("llama.block_count", 0); }),
      "llama.block_count = 0 is out of range");
  expect_error(replace("llama.block_count",
                       [](TestGgufBuilder& g) { g.kv_string("llama.block_count", "5"); }),
               "'llama.block_count' is string");
  expect_error(add([](TestGgufBuilder& g) { g.kv_u32("llama.vocab_size", 500); }),
               "llama.vocab_size 500 but token_embd.weight has 512 rows");
  expect_error(edit([](auto& t) {
                 t[2].dims = {64, 32};
                 t[2].data.resize(64 * 32 * 4);
               }),
               "tensor 'blk.0.attn_q.weight' has dims [64, 32], expected [64, 64]");
}

TEST_F(GgufWrittenModel, UnsupportedVariants) {
  expect_error(replace("llama.rope.dimension_count",
                       [](TestGgufBuilder& g) { g.kv_u32("llama.rope.dimension_count", 4); }),
               "RoPE over 4 of the 8 dimensions", ErrorCode::unsupported);
  expect_error(add([](TestGgufBuilder& g) { g.kv_string("llama.rope.scaling.type", "yarn"); }),
               "RoPE scaling 'yarn'", ErrorCode::unsupported);
  expect_error(add([](TestGgufBuilder& g) { g.kv_u32("llama.expert_count", 8); }),
               "mixture-of-experts", ErrorCode::unsupported);
  expect_error(replace("general.architecture",
                       [](TestGgufBuilder& g) { g.kv_string("general.architecture", "falcon"); }),
               "architecture 'falcon' is not supported (llama, qwen2, phi3, gemma2 or gpt2)",
               ErrorCode::unsupported);
  expect_error(edit([](auto& t) {
                 t.push_back({"blk.0.attn_q.bias", {64}, kF32, std::string(256, '\0')});
               }),
               "tensor 'blk.0.attn_q.bias' is not part of the llama architecture",
               ErrorCode::unsupported);
  // IQ4_NL: blocks of 32 in 18 bytes, a type the engine does not read.
  expect_error(edit(set_type("blk.1.attn_q.weight", kIq4Nl, std::string(64 * 2 * 18, '\0'))),
               "'blk.1.attn_q.weight' is iq4_nl", ErrorCode::unsupported);
  expect_error(edit(set_type("blk.0.ffn_norm.weight", kF16, std::string(128, '\0'))),
               "vector tensor 'blk.0.ffn_norm.weight' is f16", ErrorCode::unsupported);
}

TEST(GgufModel, TruncatedFileIsAnError) {
  std::ifstream in(test::require_model("stories260K.gguf"), std::ios::binary);
  std::stringstream whole;
  whole << in.rdbuf();
  const std::string path =
      (std::filesystem::temp_directory_path() / ("cut_" + std::to_string(::getpid()) + ".gguf"))
          .string();
  for (const std::size_t size : {whole.str().size() - 1, std::size_t{20000}, std::size_t{100}}) {
    std::ofstream(path, std::ios::binary) << whole.str().substr(0, size);
    test::expect_engine_error([&] { Model::load(path); }, ErrorCode::bad_format, {path});
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace engine
