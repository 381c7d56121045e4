// Small random models of the Llama-family architectures written by the test, in llama.cpp's
// layout (the keys and tensor names its converter writes), without a vocabulary (Model::load
// reads none): for the reference forward's checks of what the interop files do not exercise
// (a window shorter than the prompt, RoPE scaling, qkv biases with every kind of file) and for
// malformed hyper-parameters.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "test_gguf_builder.hpp"

namespace engine::test {

struct FamilyFile {
  std::string arch = "llama";  // llama, qwen2, phi3 or gemma2
  int dim = 64, hidden = 96, layers = 3, heads = 4, kv_heads = 2, head = 16, vocab = 300;
  int context = 64;
  bool write_head_width = false;    // attention.key_length / value_length
  bool rope_freqs = false;          // Llama 3 rope_freqs.weight: random factors in [1, 8]...
  std::vector<float> rope_factors;  // ... or these
  bool long_rope = false;  // Phi-3's rope_factors_long.weight (in [1, 8]) and _short (in [1, 1.5])
  std::map<std::string, float> floats;  // float keys without the "<arch>." prefix
  std::map<std::string, std::uint32_t> ints;
  std::map<std::string, std::string> strings;
  // Extra tensors (name -> dims) of zeros, for variants the engine must refuse.
  std::map<std::string, std::vector<std::uint64_t>> extra_tensors;

  explicit FamilyFile(std::string architecture) : arch(std::move(architecture)) {
    floats["attention.layer_norm_rms_epsilon"] = 1e-6f;
    floats["rope.freq_base"] = 10000.0f;
    if (arch == "gemma2") {
      head = 24;  // not dim / heads, as Gemma 2's
      write_head_width = true;
      floats["attn_logit_softcapping"] = 5.0f;  // low enough to bend these scores
      floats["final_logit_softcapping"] = 3.0f;
      ints["attention.sliding_window"] = 3;
    }
  }

  // Writes the file; the caller removes it.
  std::string write() const {
    std::mt19937 rng(1234);
    TestGgufBuilder g;
    g.kv_string("general.architecture", arch);
    const auto key = [&](const std::string& name) { return arch + "." + name; };
    g.kv_u32(key("context_length"), context);
    g.kv_u32(key("embedding_length"), dim);
    g.kv_u32(key("block_count"), layers);
    g.kv_u32(key("feed_forward_length"), hidden);
    g.kv_u32(key("attention.head_count"), heads);
    g.kv_u32(key("attention.head_count_kv"), kv_heads);
    g.kv_u32(key("rope.dimension_count"), head);
    if (write_head_width) {
      g.kv_u32(key("attention.key_length"), head);
      g.kv_u32(key("attention.value_length"), head);
    }
    for (const auto& [name, v] : floats) g.kv_f32(key(name), v);
    for (const auto& [name, v] : ints) g.kv_u32(key(name), v);
    for (const auto& [name, v] : strings) g.kv_string(key(name), v);
    const auto add = [&](const std::string& name, int rows, int cols, float mean, float std) {
      std::normal_distribution<float> d(mean, std);
      std::vector<float> v(static_cast<std::size_t>(rows) * cols);
      for (float& x : v) x = d(rng);
      std::vector<std::uint64_t> dims = {std::uint64_t(cols)};
      if (rows > 1) dims.push_back(rows);
      g.tensor(name, dims, 0, TestGgufBuilder::floats(v));
    };
    const int q_dim = heads * head, kv_dim = kv_heads * head;
    const float wstd = 1.0f / std::sqrt(static_cast<float>(dim));
    // RoPE frequency divisors: `given`, or random ones in [1, high].
    const auto add_factors = [&](const std::string& name, float high, std::vector<float> given) {
      std::uniform_real_distribution<float> factor(1.0f, high);
      if (given.empty()) {
        given.resize(head / 2);
        for (float& x : given) x = factor(rng);
      }
      g.tensor(name, {std::uint64_t(head / 2)}, 0, TestGgufBuilder::floats(given));
    };
    if (rope_freqs) add_factors("rope_freqs.weight", 8.0f, rope_factors);
    if (long_rope) {
      add_factors("rope_factors_long.weight", 8.0f, {});
      add_factors("rope_factors_short.weight", 1.5f, {});
    }
    add("token_embd.weight", vocab, dim, 0.0f, 1.0f);
    for (int l = 0; l < layers; ++l) {
      const std::string blk = "blk." + std::to_string(l) + ".";
      add(blk + "attn_norm.weight", 1, dim, 1.0f, 0.1f);
      if (arch == "phi3") {
        add(blk + "attn_qkv.weight", q_dim + 2 * kv_dim, dim, 0.0f, wstd);
      } else {
        add(blk + "attn_q.weight", q_dim, dim, 0.0f, wstd);
        add(blk + "attn_k.weight", kv_dim, dim, 0.0f, wstd);
        add(blk + "attn_v.weight", kv_dim, dim, 0.0f, wstd);
      }
      if (arch == "qwen2") {
        add(blk + "attn_q.bias", 1, q_dim, 0.0f, 0.5f);
        add(blk + "attn_k.bias", 1, kv_dim, 0.0f, 0.5f);
        add(blk + "attn_v.bias", 1, kv_dim, 0.0f, 0.5f);
      }
      add(blk + "attn_output.weight", dim, q_dim, 0.0f, 1.0f / std::sqrt(float(q_dim)));
      if (arch == "gemma2") add(blk + "post_attention_norm.weight", 1, dim, 1.0f, 0.1f);
      add(blk + "ffn_norm.weight", 1, dim, 1.0f, 0.1f);
      if (arch == "phi3") {
        add(blk + "ffn_up.weight", 2 * hidden, dim, 0.0f, wstd);
      } else {
        add(blk + "ffn_gate.weight", hidden, dim, 0.0f, wstd);
        add(blk + "ffn_up.weight", hidden, dim, 0.0f, wstd);
      }
      add(blk + "ffn_down.weight", dim, hidden, 0.0f, 1.0f / std::sqrt(float(hidden)));
      if (arch == "gemma2") add(blk + "post_ffw_norm.weight", 1, dim, 1.0f, 0.1f);
    }
    add("output_norm.weight", 1, dim, 1.0f, 0.1f);
    if (arch == "phi3") add("output.weight", vocab, dim, 0.0f, wstd);
    for (const auto& [name, dims] : extra_tensors) {
      std::uint64_t n = 1;
      for (auto d : dims) n *= d;
      g.tensor(name, dims, 0, std::string(n * sizeof(float), '\0'));
    }
    static std::atomic<int> counter{0};
    const std::string path =
        (std::filesystem::temp_directory_path() /
         ("family_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".gguf"))
            .string();
    std::ofstream(path, std::ios::binary) << g.bytes();
    return path;
  }
};

// Removes the file a test wrote.
struct TempFamilyFile {
  std::string path;
  explicit TempFamilyFile(const FamilyFile& f) : path(f.write()) {}
  ~TempFamilyFile() { std::filesystem::remove(path); }
};

}  // namespace engine::test
