// A double-precision reference forward pass of the Llama-family architectures (llama, qwen2,
// phi3, gemma2), written from each model's definition (Hugging Face's modeling code, as llama.cpp
// runs it) with plain loops, no KV cache, and the weights read straight from the GGUF file's
// tensors by this test's own reading of llama.cpp's layout. Independent of the engine's
// structures: only the GGUF parser is shared.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/model/session.hpp"
#include "format/gguf_file.hpp"
#include "ops/half.hpp"
#include "util/mapped_file.hpp"

namespace engine::test {

using Rows = std::vector<std::vector<double>>;

// A row-major (rows, cols) matrix, or a vector (rows == 1), as stored in the file.
struct RefTensor {
  int rows = 0, cols = 0;
  std::vector<double> v;
  double at(int r, int c) const { return v[static_cast<std::size_t>(r) * cols + c]; }
  bool empty() const { return v.empty(); }
  // Rows [first, first + count): a part of a fused matrix.
  RefTensor row_range(int first, int count) const {
    return {count, cols,
            std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(first) * cols,
                                v.begin() + static_cast<std::ptrdiff_t>(first + count) * cols)};
  }
};

struct RefLayer {
  RefTensor attn_norm, q, k, v, q_bias, k_bias, v_bias, o, post_attn_norm;
  RefTensor ffn_norm, gate, up, down, post_ffn_norm;
};

struct RefModel {
  std::string arch;
  int dim = 0, heads = 0, kv_heads = 0, head = 0;
  double eps = 0, theta = 10000, freq_scale = 1;
  bool halves = false;  // RoPE on (i, i + head/2) (Hugging Face rotate_half), else pairs
  double query_scale = 0;
  double attn_cap = 0, final_cap = 0;  // 0: no soft-capping
  int window = 0;                      // gemma2: the window of its even layers
  int session_window = 0;              // a window over every layer (the session's), 0: none
  // GELU as llama.cpp's CPU backend computes it: its input rounded to f16 and looked up in a
  // table of f16 results (GGML_GELU_FP16), instead of the exact function.
  bool f16_gelu = false;
  // The table's float inputs moved by this many float steps (what another summation order does).
  int gelu_input_steps = 0;
  double rope_attn_factor = 1;  // rope.scaling.attn_factor: rotated q and k times this
  // rope_freqs.weight, or LongRoPE's rope_factors_long/short.weight chosen by the context as
  // llama.cpp does (long past rope.scaling.original_context_length); empty when absent.
  std::vector<double> freq_factors;
  RefTensor embd, out_norm, out;  // out empty: tied to embd
  std::vector<RefLayer> layers;
};

// `context`: the context the engine is loaded with (0: the file's).
inline RefModel read_reference_model(const std::string& path, int context = 0) {
  const MappedFile file(path);
  const GgufFile gguf({file.data(), file.size()}, path);
  RefModel m;
  m.arch = std::string(gguf.get<std::string_view>("general.architecture"));
  const auto u = [&](const char* name) {
    return static_cast<int>(gguf.get<std::uint64_t>(m.arch + "." + name));
  };
  const auto f = [&](const char* name, double fallback) {
    return gguf.find<double>(m.arch + "." + name).value_or(fallback);
  };
  m.dim = u("embedding_length");
  m.heads = u("attention.head_count");
  m.kv_heads = u("attention.head_count_kv");
  m.head = gguf.find_value(m.arch + ".attention.key_length") ? u("attention.key_length")
                                                             : m.dim / m.heads;
  m.eps = gguf.get<double>(m.arch + ".attention.layer_norm_rms_epsilon");
  m.theta = f("rope.freq_base", 10000);
  if (gguf.find<std::string_view>(m.arch + ".rope.scaling.type") == "linear")
    m.freq_scale = 1 / gguf.get<double>(m.arch + ".rope.scaling.factor");
  m.rope_attn_factor = f("rope.scaling.attn_factor", 1);
  m.halves = m.arch != "llama";
  m.query_scale = 1 / std::sqrt(static_cast<double>(m.head));
  if (m.arch == "gemma2") {
    m.attn_cap = f("attn_logit_softcapping", 50);
    m.final_cap = f("final_logit_softcapping", 30);
    m.window = static_cast<int>(
        gguf.find<std::uint64_t>(m.arch + ".attention.sliding_window").value_or(0));
    m.query_scale = 1 / std::sqrt(f("attention.query_pre_attn_scalar", m.head));
  }
  const auto read = [&](const std::string& name) {
    const GgufTensorInfo* t = gguf.find_tensor(name);
    if (!t) return RefTensor{};
    EXPECT_EQ(t->type, 0u) << name;
    RefTensor out{t->dims.size() == 2 ? static_cast<int>(t->dims[1]) : 1,
                  static_cast<int>(t->dims[0]), std::vector<double>(t->elements)};
    std::vector<float> floats(t->elements);
    std::memcpy(floats.data(), t->data, t->elements * sizeof(float));
    std::copy(floats.begin(), floats.end(), out.v.begin());
    return out;
  };
  m.embd = read("token_embd.weight");
  m.out_norm = read("output_norm.weight");
  m.out = read("output.weight");
  m.freq_factors = read("rope_freqs.weight").v;
  if (gguf.find_tensor("rope_factors_long.weight")) {
    const int trained = u("context_length");
    const int original = gguf.find_value(m.arch + ".rope.scaling.original_context_length")
                             ? u("rope.scaling.original_context_length")
                             : trained;
    const bool long_context = (context > 0 ? context : trained) > original;
    m.freq_factors =
        read(long_context ? "rope_factors_long.weight" : "rope_factors_short.weight").v;
  }
  const int n_layers = u("block_count"), q_dim = m.heads * m.head, kv_dim = m.kv_heads * m.head;
  for (int i = 0; i < n_layers; ++i) {
    const auto t = [&](const char* part) { return read("blk." + std::to_string(i) + "." + part); };
    RefLayer l;
    l.attn_norm = t("attn_norm.weight");
    // Absent tensors read as empty (no bias, no post-norm).
    const std::pair<RefTensor RefLayer::*, const char*> plain[] = {
        {&RefLayer::q_bias, "attn_q.bias"},
        {&RefLayer::k_bias, "attn_k.bias"},
        {&RefLayer::v_bias, "attn_v.bias"},
        {&RefLayer::o, "attn_output.weight"},
        {&RefLayer::post_attn_norm, "post_attention_norm.weight"},
        {&RefLayer::ffn_norm, "ffn_norm.weight"},
        {&RefLayer::down, "ffn_down.weight"},
        {&RefLayer::post_ffn_norm, "post_ffw_norm.weight"},
        {&RefLayer::q, "attn_q.weight"},
        {&RefLayer::k, "attn_k.weight"},
        {&RefLayer::v, "attn_v.weight"},
        {&RefLayer::gate, "ffn_gate.weight"},
        {&RefLayer::up, "ffn_up.weight"}};
    for (const auto& [member, name] : plain) l.*member = t(name);
    if (m.arch == "phi3") {  // fused: query, key, value rows; gate rows, then up rows
      const RefTensor qkv = t("attn_qkv.weight"), gate_up = l.up;
      l.q = qkv.row_range(0, q_dim);
      l.k = qkv.row_range(q_dim, kv_dim);
      l.v = qkv.row_range(q_dim + kv_dim, kv_dim);
      l.gate = gate_up.row_range(0, gate_up.rows / 2);
      l.up = gate_up.row_range(gate_up.rows / 2, gate_up.rows / 2);
    }
    m.layers.push_back(std::move(l));
  }
  return m;
}

inline std::vector<double> ref_rmsnorm(const std::vector<double>& x, const RefTensor& w,
                                       double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double inv = 1 / std::sqrt(ss / x.size() + eps);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w.v[i];
  return y;
}

// w · x (+ b), for a (out, in) matrix.
inline std::vector<double> ref_linear(const std::vector<double>& x, const RefTensor& w,
                                      const RefTensor& b = {}) {
  std::vector<double> y(w.rows);
  for (int o = 0; o < w.rows; ++o) {
    double s = b.empty() ? 0.0 : b.v[o];
    for (int i = 0; i < w.cols; ++i) s += w.at(o, i) * x[i];
    y[o] = s;
  }
  return y;
}

// Rotates every head of v at position `pos`: frequency i is theta^(-2i/head) (divided by the
// file's factor i, times the linear scaling), on the pairs (2i, 2i+1) or (i, i + head/2), and
// scales the result by the attention factor (LongRoPE's cos and sin times it).
inline void ref_rope(const RefModel& m, std::vector<double>& v, int pos) {
  const int half = m.head / 2;
  for (std::size_t h0 = 0; h0 < v.size(); h0 += m.head)
    for (int i = 0; i < half; ++i) {
      double freq = std::pow(m.theta, -2.0 * i / m.head) * m.freq_scale;
      if (!m.freq_factors.empty()) freq /= m.freq_factors[i];
      const double c = std::cos(pos * freq), s = std::sin(pos * freq);
      const std::size_t a = m.halves ? h0 + i : h0 + 2 * i, b = m.halves ? a + half : a + 1;
      const double x = v[a], y = v[b];
      v[a] = (x * c - y * s) * m.rope_attn_factor;
      v[b] = (x * s + y * c) * m.rope_attn_factor;
    }
}

inline double ref_activation(const RefModel& m, double g) {
  if (m.arch == "gemma2") {  // gelu_pytorch_tanh
    if (!m.f16_gelu) {
      const double k = std::sqrt(2 / 3.14159265358979323846);
      return 0.5 * g * (1 + std::tanh(k * (g + 0.044715 * g * g * g)));
    }
    // ggml's table: the float GELU of each f16 input, rounded to f16.
    auto x = static_cast<float>(g);
    for (int i = 0; i < std::abs(m.gelu_input_steps); ++i)
      x = std::nextafter(x, m.gelu_input_steps > 0 ? 1e30f : -1e30f);
    if (x <= -10) return 0;
    if (x >= 10) return x;
    const float h = f16_to_f32(f32_to_f16(x));
    const float y = 0.5f * h * (1.0f + std::tanh(0.7978845608f * h * (1.0f + 0.044715f * h * h)));
    return f16_to_f32(f32_to_f16(y));
  }
  return g / (1 + std::exp(-g));  // silu
}

// The logits after each of `tokens`, fed from position 0.
inline Rows reference_logits(const RefModel& m, const std::vector<int>& tokens) {
  const int N = static_cast<int>(tokens.size()), D = m.dim, hs = m.head;
  const int group = m.heads / m.kv_heads;
  const double embed_scale = m.arch == "gemma2" ? std::sqrt(static_cast<double>(D)) : 1.0;
  Rows h(N, std::vector<double>(D));
  for (int t = 0; t < N; ++t)
    for (int i = 0; i < D; ++i) h[t][i] = m.embd.at(tokens[t], i) * embed_scale;
  for (std::size_t layer = 0; layer < m.layers.size(); ++layer) {
    const RefLayer& l = m.layers[layer];
    int window = layer % 2 == 0 ? m.window : 0;
    if (m.session_window > 0)
      window = window > 0 ? std::min(window, m.session_window) : m.session_window;
    Rows q(N), k(N), v(N);
    for (int t = 0; t < N; ++t) {
      const std::vector<double> x = ref_rmsnorm(h[t], l.attn_norm, m.eps);
      q[t] = ref_linear(x, l.q, l.q_bias);
      k[t] = ref_linear(x, l.k, l.k_bias);
      v[t] = ref_linear(x, l.v, l.v_bias);
      ref_rope(m, q[t], t);
      ref_rope(m, k[t], t);
    }
    Rows attn(N);
    for (int t = 0; t < N; ++t) {
      std::vector<double> y(static_cast<std::size_t>(m.heads) * hs, 0.0);
      for (int head = 0; head < m.heads; ++head) {
        const int kv = head / group;
        const int first = window > 0 ? std::max(0, t - window + 1) : 0;
        std::vector<double> p(t + 1, 0.0);
        double max = -1e300, sum = 0;
        for (int u = first; u <= t; ++u) {
          double s = 0;
          for (int i = 0; i < hs; ++i) s += q[t][head * hs + i] * k[u][kv * hs + i];
          s *= m.query_scale;
          if (m.attn_cap > 0) s = m.attn_cap * std::tanh(s / m.attn_cap);
          p[u] = s;
          max = std::max(max, s);
        }
        for (int u = first; u <= t; ++u) sum += (p[u] = std::exp(p[u] - max));
        for (int u = first; u <= t; ++u)
          for (int i = 0; i < hs; ++i) y[head * hs + i] += p[u] / sum * v[u][kv * hs + i];
      }
      attn[t] = ref_linear(y, l.o);
      if (!l.post_attn_norm.empty()) attn[t] = ref_rmsnorm(attn[t], l.post_attn_norm, m.eps);
    }
    for (int t = 0; t < N; ++t) {
      for (int i = 0; i < D; ++i) h[t][i] += attn[t][i];
      const std::vector<double> x = ref_rmsnorm(h[t], l.ffn_norm, m.eps);
      std::vector<double> gate = ref_linear(x, l.gate);
      const std::vector<double> up = ref_linear(x, l.up);
      for (std::size_t i = 0; i < gate.size(); ++i) gate[i] = ref_activation(m, gate[i]) * up[i];
      std::vector<double> down = ref_linear(gate, l.down);
      if (!l.post_ffn_norm.empty()) down = ref_rmsnorm(down, l.post_ffn_norm, m.eps);
      for (int i = 0; i < D; ++i) h[t][i] += down[i];
    }
  }
  Rows logits(N);
  for (int t = 0; t < N; ++t) {
    logits[t] = ref_linear(ref_rmsnorm(h[t], m.out_norm, m.eps), m.out.empty() ? m.embd : m.out);
    if (m.final_cap > 0)
      for (double& z : logits[t]) z = m.final_cap * std::tanh(z / m.final_cap);
  }
  return logits;
}

// The largest |got - want| over a row.
inline double max_error(std::span<const float> got, const std::vector<double>& want) {
  EXPECT_EQ(got.size(), want.size());
  double worst = 0;
  for (std::size_t i = 0; i < want.size() && i < got.size(); ++i)
    worst = std::max(worst, std::abs(got[i] - want[i]));
  return worst;
}

inline void expect_near(std::span<const float> got, const std::vector<double>& want,
                        double tolerance, const std::string& where, double& worst) {
  const double error = max_error(got, want);
  worst = std::max(worst, error);
  EXPECT_LE(error, tolerance) << where;
}

// Prefill, decode and a left-padded batch of `path`, loaded with `context` (0: the file's),
// against the reference forward.
inline void check_against_reference(const std::string& path, const std::vector<int>& prompt,
                                    int context = 0) {
  const RefModel m = read_reference_model(path, context);
  const auto model = Model::load(path, DType::f32, context);
  const Rows want = reference_logits(m, prompt);
  const std::size_t vocab = model->config().vocab_size;
  double worst = 0;
  {
    Session prefill(model);
    const auto all = prefill.forward(prompt, /*all_logits=*/true);
    for (std::size_t t = 0; t < prompt.size(); ++t)
      expect_near(all.subspan(t * vocab, vocab), want[t], 1e-4,
                  path + " prefill row " + std::to_string(t), worst);
  }
  {
    Session decode(model);
    for (std::size_t t = 0; t < prompt.size(); ++t)
      expect_near(decode.forward(std::span(&prompt[t], 1)), want[t], 1e-4,
                  path + " decode step " + std::to_string(t), worst);
  }
  // Three prompts of different lengths, left-padded into one batch, then two decode steps.
  const std::vector<std::vector<int>> prompts = {
      prompt, {prompt.begin(), prompt.begin() + 3}, {prompt.begin() + 2, prompt.end()}};
  const int sequences[3] = {0, 1, 2};
  Session batch(model, 3);
  std::vector<int> block;
  for (int i = 0; i < 3; ++i) {
    const std::size_t padding = prompt.size() - prompts[i].size();
    batch.set_padding(i, static_cast<int>(padding));
    block.insert(block.end(), padding, 0);
    block.insert(block.end(), prompts[i].begin(), prompts[i].end());
  }
  // Each sequence's reference once, over all it is fed: row r is the logits after token r.
  std::vector<std::vector<int>> fed = prompts;
  for (int step = 0; step < 2; ++step) {
    const int next[3] = {prompt[1], prompt[4], prompt[2 + step]};
    for (int i = 0; i < 3; ++i) fed[i].push_back(next[i]);
  }
  std::vector<Rows> reference;
  for (const auto& tokens : fed) reference.push_back(reference_logits(m, tokens));
  std::span<const float> logits = batch.forward_batch(block, sequences);
  for (int step = 0; step < 3; ++step) {
    for (int i = 0; i < 3; ++i)
      expect_near(
          logits.subspan(i * vocab, vocab), reference[i][prompts[i].size() - 1 + step], 1e-4,
          path + " batch step " + std::to_string(step) + " sequence " + std::to_string(i), worst);
    if (step == 2) break;
    const int next[3] = {fed[0][prompts[0].size() + step], fed[1][prompts[1].size() + step],
                         fed[2][prompts[2].size() + step]};
    logits = batch.forward_batch(next, sequences);
  }
  std::printf("[ measured ] %s: max |logit - double reference| = %.3g\n",
              std::filesystem::path(path).filename().c_str(), worst);
}

}  // namespace engine::test
