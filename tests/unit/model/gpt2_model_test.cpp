// GPT-2 GGUF models against an independent reference forward pass written from the GPT-2
// definition (plain loops in double, no KV cache, weights read straight from the file's
// tensors): llama.cpp's gpt2-tiny-random.gguf and a random GPT-2 written here in the same
// layout (fused QKV, biases, learned positions, the real GPT-2 vocabulary embedded), through
// block prefill, token-by-token decode and left-padded batches, on every kernel ISA. Also the
// counts, weight conversion, the context cap of learned positions and malformed files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "engine/error.hpp"
#include "engine/model/session.hpp"
#include "engine/ops/isa.hpp"
#include "engine/tokenizer.hpp"
#include "expect_engine_error.hpp"
#include "format/gguf_file.hpp"
#include "rerun_on_isa.hpp"
#include "test_gguf_builder.hpp"
#include "test_paths.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

using Rows = std::vector<std::vector<double>>;

// A row-major (rows, cols) matrix, or a vector (rows == 1), as stored in the file.
struct Tensor {
  int rows = 0, cols = 0;
  std::vector<float> v;
  double at(int r, int c) const { return v[static_cast<std::size_t>(r) * cols + c]; }
};

struct Gpt2Layer {
  Tensor ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, up_w, up_b, down_w, down_b;
};

// GPT-2 in the terms of its definition, independent of the engine's structures.
struct Gpt2 {
  int dim = 0, heads = 0, hidden = 0, positions = 0;
  double eps = 0;
  Tensor wte, wpe, lnf_w, lnf_b;
  Tensor out;  // the classifier; empty: tied to wte
  std::vector<Gpt2Layer> layers;
};

std::vector<double> layernorm(const std::vector<double>& x, const Tensor& w, const Tensor& b,
                              double eps) {
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= x.size();
  for (double v : x) var += (v - mean) * (v - mean);
  var /= x.size();
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    y[i] = (x[i] - mean) / std::sqrt(var + eps) * w.v[i] + b.v[i];
  return y;
}

// w · x (+ b), for a (out, in) matrix.
std::vector<double> linear(const std::vector<double>& x, const Tensor& w, const Tensor* b) {
  std::vector<double> y(w.rows);
  for (int o = 0; o < w.rows; ++o) {
    double s = b ? b->v[o] : 0.0;
    for (int i = 0; i < w.cols; ++i) s += w.at(o, i) * x[i];
    y[o] = s;
  }
  return y;
}

double gelu(double x) {
  const double pi = 3.14159265358979323846;
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / pi) * (x + 0.044715 * x * x * x)));
}

// The logits after each of `tokens`, fed from position 0.
Rows reference_logits(const Gpt2& m, const std::vector<int>& tokens) {
  const int N = static_cast<int>(tokens.size()), D = m.dim, hs = D / m.heads;
  Rows h(N, std::vector<double>(D));
  for (int t = 0; t < N; ++t)
    for (int i = 0; i < D; ++i) h[t][i] = m.wte.at(tokens[t], i) + m.wpe.at(t, i);
  for (const Gpt2Layer& l : m.layers) {
    Rows qkv(N);
    for (int t = 0; t < N; ++t)
      qkv[t] = linear(layernorm(h[t], l.ln1_w, l.ln1_b, m.eps), l.qkv_w, &l.qkv_b);
    for (int t = 0; t < N;
         ++t) {  // causal self-attention; q, k, v are rows [0, D), [D, 2D), [2D, 3D)
      std::vector<double> y(D, 0.0);
      for (int head = 0; head < m.heads; ++head) {
        std::vector<double> p(t + 1);
        double max = -1e300, sum = 0;
        for (int u = 0; u <= t; ++u) {
          double s = 0;
          for (int i = 0; i < hs; ++i) s += qkv[t][head * hs + i] * qkv[u][D + head * hs + i];
          p[u] = s / std::sqrt(static_cast<double>(hs));
          max = std::max(max, p[u]);
        }
        for (double& v : p) sum += (v = std::exp(v - max));
        for (int u = 0; u <= t; ++u)
          for (int i = 0; i < hs; ++i)
            y[head * hs + i] += p[u] / sum * qkv[u][2 * D + head * hs + i];
      }
      const std::vector<double> attn = linear(y, l.proj_w, &l.proj_b);
      for (int i = 0; i < D; ++i) h[t][i] += attn[i];
    }
    for (int t = 0; t < N; ++t) {
      std::vector<double> up = linear(layernorm(h[t], l.ln2_w, l.ln2_b, m.eps), l.up_w, &l.up_b);
      for (double& v : up) v = gelu(v);
      const std::vector<double> down = linear(up, l.down_w, &l.down_b);
      for (int i = 0; i < D; ++i) h[t][i] += down[i];
    }
  }
  Rows logits(N);
  for (int t = 0; t < N; ++t)
    logits[t] =
        linear(layernorm(h[t], m.lnf_w, m.lnf_b, m.eps), m.out.v.empty() ? m.wte : m.out, nullptr);
  return logits;
}

// The reference's weights read from a GGUF file by tensor name (f32 only): the test's own reading
// of llama.cpp's gpt2 layout.
Gpt2 read_gpt2(const std::string& path) {
  const MappedFile file(path);
  const GgufFile gguf({file.data(), file.size()}, path);
  Gpt2 m;
  m.dim = static_cast<int>(gguf.get<std::uint64_t>("gpt2.embedding_length"));
  m.heads = static_cast<int>(gguf.get<std::uint64_t>("gpt2.attention.head_count"));
  m.hidden = static_cast<int>(gguf.get<std::uint64_t>("gpt2.feed_forward_length"));
  m.positions = static_cast<int>(gguf.get<std::uint64_t>("gpt2.context_length"));
  m.eps = gguf.get<double>("gpt2.attention.layer_norm_epsilon");
  const auto read = [&](const std::string& name) {
    const GgufTensorInfo* t = gguf.find_tensor(name);
    if (!t) return Tensor{};
    EXPECT_EQ(t->type, 0u) << name;
    Tensor out{t->dims.size() == 2 ? static_cast<int>(t->dims[1]) : 1, static_cast<int>(t->dims[0]),
               std::vector<float>(t->elements)};
    std::memcpy(out.v.data(), t->data, t->elements * sizeof(float));
    return out;
  };
  m.wte = read("token_embd.weight");
  m.wpe = read("position_embd.weight");
  m.lnf_w = read("output_norm.weight");
  m.lnf_b = read("output_norm.bias");
  m.out = read("output.weight");
  const auto layers = gguf.get<std::uint64_t>("gpt2.block_count");
  for (std::uint64_t i = 0; i < layers; ++i) {
    const auto t = [&](const char* part) { return read("blk." + std::to_string(i) + "." + part); };
    m.layers.push_back({t("attn_norm.weight"), t("attn_norm.bias"), t("attn_qkv.weight"),
                        t("attn_qkv.bias"), t("attn_output.weight"), t("attn_output.bias"),
                        t("ffn_norm.weight"), t("ffn_norm.bias"), t("ffn_up.weight"),
                        t("ffn_up.bias"), t("ffn_down.weight"), t("ffn_down.bias")});
  }
  return m;
}

// A random GPT-2 of the given shape with the vocabulary of llama.cpp's gpt2-tiny-random.gguf.
struct Gpt2File {
  struct Entry {
    std::string name;
    std::vector<std::uint64_t> dims;  // fastest-varying first
    std::vector<float> data;
  };
  std::vector<Entry> tensors;
  bool tied = true;

  explicit Gpt2File(bool tied_classifier = true) : tied(tied_classifier) {
    std::mt19937 rng(2024);
    const auto add = [&](std::string name, int rows, int cols, float mean, float std) {
      std::normal_distribution<float> d(mean, std);
      std::vector<float> v(static_cast<std::size_t>(rows) * cols);
      for (float& x : v) x = d(rng);
      std::vector<std::uint64_t> dims = {std::uint64_t(cols)};
      if (rows > 1) dims.push_back(rows);
      tensors.push_back({std::move(name), dims, std::move(v)});
    };
    add("token_embd.weight", kVocab, kDim, 0.0f, 0.5f);
    add("position_embd.weight", kPositions, kDim, 0.0f, 0.5f);
    add("output_norm.weight", 1, kDim, 1.0f, 0.1f);
    add("output_norm.bias", 1, kDim, 0.0f, 0.1f);
    if (!tied) add("output.weight", kVocab, kDim, 0.0f, 0.3f);
    for (int l = 0; l < kLayers; ++l) {
      const std::string blk = "blk." + std::to_string(l) + ".";
      add(blk + "attn_norm.weight", 1, kDim, 1.0f, 0.1f);
      add(blk + "attn_norm.bias", 1, kDim, 0.0f, 0.1f);
      add(blk + "attn_qkv.weight", 3 * kDim, kDim, 0.0f, 0.2f);
      add(blk + "attn_qkv.bias", 1, 3 * kDim, 0.0f, 0.1f);
      add(blk + "attn_output.weight", kDim, kDim, 0.0f, 0.2f);
      add(blk + "attn_output.bias", 1, kDim, 0.0f, 0.1f);
      add(blk + "ffn_norm.weight", 1, kDim, 1.0f, 0.1f);
      add(blk + "ffn_norm.bias", 1, kDim, 0.0f, 0.1f);
      add(blk + "ffn_up.weight", kHidden, kDim, 0.0f, 0.2f);
      add(blk + "ffn_up.bias", 1, kHidden, 0.0f, 0.1f);
      add(blk + "ffn_down.weight", kDim, kHidden, 0.0f, 0.1f);
      add(blk + "ffn_down.bias", 1, kDim, 0.0f, 0.1f);
    }
  }

  // Writes the file; `skip_key` leaves one metadata key out.
  std::string write(const std::string& skip_key = "") const {
    const std::string vocab_path = test::require_model("gpt2-tiny-random.gguf");
    const MappedFile vocab_file(vocab_path);
    const GgufFile vocab({vocab_file.data(), vocab_file.size()}, vocab_path);
    const auto strings = [&](const char* key) {
      const auto views = vocab.get<std::vector<std::string_view>>(key);
      return std::vector<std::string>(views.begin(), views.end());
    };
    const auto file_types = vocab.find<std::vector<std::int64_t>>("tokenizer.ggml.token_type")
                                .value_or(std::vector<std::int64_t>{});
    const std::vector<std::int32_t> types(file_types.begin(), file_types.end());

    test::TestGgufBuilder g;
    const auto u32 = [&](const std::string& key, std::uint32_t v) {
      if (key != skip_key) g.kv_u32(key, v);
    };
    g.kv_string("general.architecture", "gpt2");
    u32("gpt2.context_length", kPositions);
    u32("gpt2.embedding_length", kDim);
    u32("gpt2.block_count", kLayers);
    u32("gpt2.feed_forward_length", kHidden);
    u32("gpt2.attention.head_count", kHeads);
    if (skip_key != "gpt2.attention.layer_norm_epsilon")
      g.kv_f32("gpt2.attention.layer_norm_epsilon", 1e-5f);
    g.kv_string("tokenizer.ggml.model", "gpt2");
    g.kv_string("tokenizer.ggml.pre", "gpt-2");
    g.kv_strings("tokenizer.ggml.tokens", strings("tokenizer.ggml.tokens"));
    g.kv_i32s("tokenizer.ggml.token_type", types);
    g.kv_strings("tokenizer.ggml.merges", strings("tokenizer.ggml.merges"));
    u32("tokenizer.ggml.bos_token_id", 50256);
    u32("tokenizer.ggml.eos_token_id", 50256);
    for (const Entry& t : tensors)
      g.tensor(t.name, t.dims, 0, test::TestGgufBuilder::floats(t.data));
    const std::string path =
        (std::filesystem::temp_directory_path() / ("gpt2_" + std::to_string(::getpid()) + ".gguf"))
            .string();
    std::ofstream(path, std::ios::binary) << g.bytes();
    return path;
  }

  Entry* find(const std::string& name) {
    for (Entry& t : tensors)
      if (t.name == name) return &t;
    return nullptr;
  }

  static constexpr int kVocab = 50257, kDim = 64, kHeads = 4, kHidden = 160, kLayers = 2,
                       kPositions = 16;
};

// Removes the file a test wrote.
struct TempFile {
  std::string path;
  ~TempFile() { std::filesystem::remove(path); }
};

std::vector<int> encode(const std::string& path, const std::string& text) {
  return load_tokenizer(path)->encode(text, true, false);
}

void expect_logits_near(std::span<const float> got, const std::vector<double>& want,
                        double tolerance, const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  double worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
  EXPECT_LE(worst, tolerance) << where;
}

// Prefill, decode and a left-padded batch of `path` against the reference of `m`.
void check_against_reference(const std::string& path, const Gpt2& m) {
  const auto model = Model::load(path);
  const std::vector<int> prompt = encode(path, "Hello world, don't worry: 12345 tokens!");
  ASSERT_GE(prompt.size(), 8u);
  const Rows want = reference_logits(m, prompt);
  const std::size_t vocab = model->config().vocab_size;
  {
    Session prefill(model);
    const auto all = prefill.forward(prompt, /*all_logits=*/true);
    for (std::size_t t = 0; t < prompt.size(); ++t)
      expect_logits_near(all.subspan(t * vocab, vocab), want[t], 1e-4,
                         "prefill row " + std::to_string(t));
  }
  {
    Session decode(model);
    for (std::size_t t = 0; t < prompt.size(); ++t)
      expect_logits_near(decode.forward(std::span(&prompt[t], 1)), want[t], 1e-4,
                         "decode step " + std::to_string(t));
  }
  // Three prompts of different lengths, left-padded into one batch, then two decode steps.
  const std::vector<std::vector<int>> prompts = {prompt, encode(path, "The cat"),
                                                 encode(path, "Accents: café naïve")};
  std::size_t longest = 0;
  for (const auto& p : prompts) longest = std::max(longest, p.size());
  Session batch(model, 3);
  std::vector<int> block;
  for (int i = 0; i < 3; ++i) {
    const std::size_t padding = longest - prompts[i].size();
    batch.set_padding(i, static_cast<int>(padding));
    block.insert(block.end(), padding, 0);
    block.insert(block.end(), prompts[i].begin(), prompts[i].end());
  }
  const int sequences[3] = {0, 1, 2};
  std::span<const float> logits = batch.forward_batch(block, sequences);
  std::vector<std::vector<int>> fed = prompts;
  for (int step = 0; step < 3; ++step) {
    for (int i = 0; i < 3; ++i) {
      const std::string where =
          "batch step " + std::to_string(step) + " sequence " + std::to_string(i);
      expect_logits_near(logits.subspan(i * vocab, vocab), reference_logits(m, fed[i]).back(), 1e-4,
                         where);
      Session alone(model);
      const auto single = alone.forward(fed[i]);
      expect_logits_near(logits.subspan(i * vocab, vocab),
                         std::vector<double>(single.begin(), single.end()), 1e-5,
                         where + " vs unbatched");
    }
    if (step == 2) break;
    const int next[3] = {11 + step, 318, 995};
    for (int i = 0; i < 3; ++i) fed[i].push_back(next[i]);
    logits = batch.forward_batch(next, sequences);
  }
}

// Run on the ISA this process chose (ENGINE_ISA); Gpt2PerIsa runs them once per ISA.
TEST(Gpt2ReferenceOnThisIsa, LlamaCppFile) {
  const std::string path = test::require_model("gpt2-tiny-random.gguf");
  check_against_reference(path, read_gpt2(path));
}

TEST(Gpt2ReferenceOnThisIsa, WrittenFileTiedAndUntied) {
  for (const bool tied : {true, false}) {
    const TempFile file{Gpt2File(tied).write()};
    check_against_reference(file.path, read_gpt2(file.path));
  }
}

class Gpt2PerIsa : public ::testing::TestWithParam<Isa> {};

// Each ISA in a process of its own (rerun_on_isa.hpp), with only the tests above.
TEST_P(Gpt2PerIsa, LogitsEqualTheReference) {
  const test::IsaRun run = test::rerun_on_isa(GetParam(), "Gpt2ReferenceOnThisIsa.*");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("[  PASSED  ] 2 tests."), std::string::npos) << run.output;
}

INSTANTIATE_TEST_SUITE_P(AllIsas, Gpt2PerIsa, ::testing::ValuesIn(supported_isas()),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

TEST(Gpt2Model, HyperParametersAndCounts) {
  const Gpt2File written;
  const TempFile file{written.write()};
  const auto model = Model::load(file.path);
  const ModelConfig& c = model->config();
  EXPECT_EQ(c.architecture, Architecture::gpt2);
  EXPECT_EQ(
      std::tie(c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len),
      std::tie(Gpt2File::kDim, Gpt2File::kHidden, Gpt2File::kLayers, Gpt2File::kHeads,
               Gpt2File::kHeads, Gpt2File::kVocab, Gpt2File::kPositions));
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f);
  EXPECT_TRUE(c.shared_classifier);
  // Every tensor of the file is a parameter; a step reads all but the embeddings (one row each)
  // and reads the tied classifier.
  std::uint64_t parameters = 0, per_token = 0;
  for (const auto& t : written.tensors) {
    parameters += t.data.size();
    if (t.name != "token_embd.weight" && t.name != "position_embd.weight")
      per_token += t.data.size() * sizeof(float);
  }
  EXPECT_EQ(model->parameter_count(), parameters);
  EXPECT_EQ(model->weight_bytes_per_token(),
            per_token + std::uint64_t(Gpt2File::kVocab) * Gpt2File::kDim * sizeof(float));
  EXPECT_EQ(load_tokenizer(file.path)->vocab_size(), c.vocab_size);
}

TEST(Gpt2Model, WeightTypesConvertEveryMatrix) {
  const TempFile file{Gpt2File().write()};
  const std::vector<int> prompt = encode(file.path, "Hello world, this is a test");
  Session f32(Model::load(file.path));
  const auto reference = f32.forward(prompt, true);
  const std::vector<double> want(reference.begin(), reference.end());
  // Logits reach about +-19 here; measured on every ISA, with the activations rounded to bf16
  // or quantised to q8 as the kernels do: bf16 0.17, q8_0 0.83 at most.
  for (const auto& [type, bound] : {std::pair{DType::bf16, 0.25}, std::pair{DType::q8_0, 1.1}}) {
    const auto model = Model::load(file.path, type);
    const TransformerWeights& w = model->weights();
    for (const LayerWeights& l : w.layers)
      for (const Matrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w2, &l.w3})
        EXPECT_EQ(m->dtype, type) << dtype_name(type);
    EXPECT_EQ(w.wcls.dtype, type);
    EXPECT_EQ(w.position_embedding.dtype, DType::f32);
    EXPECT_EQ(w.token_embedding.dtype, DType::f32);
    Session session(model);
    const auto got = session.forward(prompt, true);
    double worst = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
      worst = std::max(worst, std::abs(got[i] - want[i]));
    EXPECT_GT(worst, 0.0) << dtype_name(type);
    EXPECT_LE(worst, bound) << dtype_name(type);
  }
}

TEST(Gpt2Model, LearnedPositionsCapTheContext) {
  const TempFile file{Gpt2File().write()};
  test::expect_engine_error([&] { Model::load(file.path, DType::f32, 17); },
                            ErrorCode::context_full,
                            {file.path, "context of 17 tokens is past the 16 positions"});
  EXPECT_EQ(Model::load(file.path, DType::f32, 8)->config().seq_len, 8);
  Session session(Model::load(file.path));
  const std::vector<int> sixteen(16, 262);
  session.forward(sixteen);
  const int one = 262;
  test::expect_engine_error([&] { session.forward(std::span(&one, 1)); }, ErrorCode::context_full,
                            {"do not fit in the context of 16"});
}

TEST(Gpt2Model, MalformedFiles) {
  const auto expect_error = [](const Gpt2File& written, const std::string& skip_key, ErrorCode code,
                               const std::string& needle) {
    const TempFile file{written.write(skip_key)};
    test::expect_engine_error([&] { Model::load(file.path); }, code, {file.path, needle});
  };
  expect_error(Gpt2File(), "gpt2.attention.layer_norm_epsilon", ErrorCode::bad_format,
               "'gpt2.attention.layer_norm_epsilon' is missing");
  expect_error(Gpt2File(), "gpt2.context_length", ErrorCode::bad_format,
               "'gpt2.context_length' is missing");
  Gpt2File no_bias;
  std::erase_if(no_bias.tensors, [](const auto& t) { return t.name == "blk.1.attn_qkv.bias"; });
  expect_error(no_bias, "", ErrorCode::bad_format, "tensor 'blk.1.attn_qkv.bias' is missing");
  Gpt2File no_positions;
  std::erase_if(no_positions.tensors,
                [](const auto& t) { return t.name == "position_embd.weight"; });
  expect_error(no_positions, "", ErrorCode::bad_format, "tensor 'position_embd.weight' is missing");
  Gpt2File narrow_qkv;
  narrow_qkv.find("blk.0.attn_qkv.weight")->dims = {64, 128};
  narrow_qkv.find("blk.0.attn_qkv.weight")->data.resize(64 * 128);
  expect_error(narrow_qkv, "", ErrorCode::bad_format,
               "tensor 'blk.0.attn_qkv.weight' has dims [64, 128], expected [64, 192]");
  Gpt2File llama_tensor;
  llama_tensor.tensors.push_back(
      {"blk.0.ffn_gate.weight", {64, 160}, std::vector<float>(64 * 160)});
  expect_error(llama_tensor, "", ErrorCode::unsupported,
               "tensor 'blk.0.ffn_gate.weight' is not part of the gpt2 architecture");
}

}  // namespace
}  // namespace engine
