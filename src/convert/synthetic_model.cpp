// engine::synthesize_model: llama models of a standard shape with random weights. With a family,
// a GGUF in the layout llama.cpp's converter writes for the model it is named after (Llama 3,
// Qwen2.5, SmolLM2, TinyLlama, Phi-3, Gemma 2).
#include "engine/synth.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "convert/llama_gguf_metadata.hpp"
#include "engine/error.hpp"
#include "engine/model/config.hpp"
#include "engine/tokenizer.hpp"
#include "format/gguf_file.hpp"
#include "format/gguf_tensor_type.hpp"
#include "format/gguf_writer.hpp"
#include "model/architecture.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

const std::map<std::string, ModelConfig>& presets() {
  static const std::map<std::string, ModelConfig> kPresets = {
      // dim, hidden, layers, heads, kv heads, vocab, context
      {"260K", {64, 172, 5, 8, 4, 512, 512}},
      {"15M", {288, 768, 6, 6, 6, 32000, 256}},
      {"110M", {768, 2048, 12, 12, 12, 32000, 1024}},
      {"1B", {2048, 5632, 22, 32, 4, 32000, 2048}},
  };
  return kPresets;
}

// What a family's files carry beyond the preset's shape, as llama.cpp's converter writes them
// for the model it is named after.
struct Family {
  std::string_view name;  // SynthOptions::family
  Architecture architecture;
  int vocab_size;  // the real vocabulary's (the classifier's rows)
  float rope_theta, norm_eps;
  bool tied;                 // no output.weight: the classifier is the embedding
  bool llama3_rope_factors;  // rope_freqs.weight (factor 32, low 1, high 4, original 8192)
  int head_dim;              // attention.key_length when not dim / heads (Gemma 2's 256)
  int sliding_window;        // attention.sliding_window, 0: none written
  bool long_rope;            // LongRoPE factors and keys, for a context 32x the original one
};

// Phi-3.5's context is 32 times the one it was first trained with (131072 / 4096).
constexpr int kLongRopeScale = 32;

const Family kFamilies[] = {
    {"llama3", Architecture::llama, 128256, 500000.0f, 1e-5f, true, true, 0, 0, false},
    {"qwen2", Architecture::qwen2, 151936, 1000000.0f, 1e-6f, true, false, 0, 0, false},
    {"smollm2", Architecture::llama, 49152, 100000.0f, 1e-5f, true, false, 0, 0, false},
    {"tinyllama", Architecture::llama, 32000, 10000.0f, 1e-5f, false, false, 0, 0, false},
    {"phi3", Architecture::phi3, 32064, 10000.0f, 1e-5f, false, false, 0, 2047, false},
    {"phi3.5", Architecture::phi3, 32064, 10000.0f, 1e-5f, false, false, 0, 262144, true},
    {"gemma2", Architecture::gemma2, 256000, 10000.0f, 1e-6f, true, false, 32, 4096, false},
};

const Family& family(std::string_view name) {
  for (const Family& f : kFamilies)
    if (f.name == name) return f;
  throw Error(ErrorCode::invalid_argument, fmt::format("unknown model family '{}' (expected {})",
                                                       name, fmt::join(synth_families(), "|")));
}

// Approximately normal values (sum of four uniforms, Irwin-Hall) with standard deviation `std`;
// splitmix64 keyed by (seed, element index), so any chunk can be generated independently.
void fill_random(float* out, std::size_t n, std::uint64_t first, std::uint64_t seed, float std) {
  const float norm = std * 1.7320508f / 2.0f / 16777216.0f;  // sqrt(12/4) / 2^24
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t z = (seed * 0x9E3779B97F4A7C15ull) ^ ((first + i) * 0xD1B54A32D192ED03ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    const std::int64_t sum = static_cast<std::int64_t>(z & 0xFFFF) + ((z >> 16) & 0xFFFF) +
                             ((z >> 32) & 0xFFFF) + (z >> 48) - 2 * 65535;
    out[i] = static_cast<float>(sum) * 256.0f * norm;
  }
}

// One tensor of the stream: all layers' parts back to back for a per-layer tensor.
struct StreamTensor {
  // Fixed values (Llama 3's RoPE factors) instead of the stream's, when not empty.
  std::vector<float> values;
  std::string gguf_name;     // "blk.{}.attn_q.weight" ({} the layer) or "token_embd.weight"
  std::uint64_t rows, cols;  // of one layer's part; rows == 1: a vector
  bool per_layer;
  float std;                // 0: all ones (norm weights)
  std::uint64_t first = 0;  // stream index of its first element
  std::uint64_t part() const { return rows * cols; }
};

// Each tensor's place in the stream, in the layout's order.
std::vector<StreamTensor> placed(std::vector<StreamTensor> layout, const ModelConfig& c) {
  std::uint64_t first = 0;
  for (StreamTensor& t : layout) {
    t.first = first;
    first += t.part() * (t.per_layer ? c.n_layers : 1);
  }
  return layout;
}

// The llama2.c checkpoint order (after the header), with each tensor's place in the stream.
std::vector<StreamTensor> stream_layout(const ModelConfig& c) {
  constexpr float kStd = 0.02f;
  const std::uint64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  std::vector<StreamTensor> layout = {
      {{}, "blk.{}.attn_norm.weight", 1, dim, true, 0},
      {{}, "blk.{}.ffn_norm.weight", 1, dim, true, 0},
      {{}, "output_norm.weight", 1, dim, false, 0},
      {{}, "token_embd.weight", vocab, dim, false, kStd},  // the classifier too (shared)
      {{}, "blk.{}.attn_q.weight", dim, dim, true, kStd},
      {{}, "blk.{}.attn_k.weight", kv, dim, true, kStd},
      {{}, "blk.{}.attn_v.weight", kv, dim, true, kStd},
      {{}, "blk.{}.attn_output.weight", dim, dim, true, kStd},
      {{}, "blk.{}.ffn_gate.weight", hidden, dim, true, kStd},
      {{}, "blk.{}.ffn_down.weight", dim, hidden, true, kStd},
      {{}, "blk.{}.ffn_up.weight", hidden, dim, true, kStd},
  };
  return placed(std::move(layout), c);
}

// Llama 3.1's frequency factors (convert_hf_to_gguf.py's rule): 1 for wavelengths under
// 8192 / 4, 32 over 8192, smoothly in between; one per rotated pair.
std::vector<float> llama3_rope_factors(const ModelConfig& c) {
  constexpr double kFactor = 32, kLow = 1, kHigh = 4, kOriginal = 8192;
  constexpr double kPi = 3.14159265358979323846;
  std::vector<float> factors;
  for (int i = 0; i < c.head_size(); i += 2) {
    const double wavelength =
        2 * kPi * std::pow(c.rope_theta, static_cast<double>(i) / c.head_size());
    if (wavelength < kOriginal / kHigh) {
      factors.push_back(1.0f);
    } else if (wavelength > kOriginal / kLow) {
      factors.push_back(static_cast<float>(kFactor));
    } else {
      const double smooth = (kOriginal / wavelength - kLow) / (kHigh - kLow);
      factors.push_back(static_cast<float>(1 / ((1 - smooth) / kFactor + smooth)));
    }
  }
  return factors;
}

// LongRoPE factors shaped like Phi-3.5's: 1 for the fastest rotation, rising to `top` for the
// slowest; one per rotated pair.
std::vector<float> long_rope_factors(const ModelConfig& c, double top) {
  const int n = c.head_size() / 2;
  std::vector<float> factors;
  for (int i = 0; i < n; ++i) {
    const double t = n > 1 ? static_cast<double>(i) / (n - 1) : 0;
    factors.push_back(static_cast<float>(1 + (top - 1) * t * t));
  }
  return factors;
}

// A family's tensors, named and shaped as llama.cpp's converter writes them (norms all ones,
// biases and matrices random).
std::vector<StreamTensor> family_layout(const ModelConfig& c, const Family& f) {
  constexpr float kStd = 0.02f;
  const std::uint64_t dim = c.dim, hidden = c.hidden_dim, q = c.q_dim(), kv = c.kv_dim();
  const std::uint64_t vocab = c.vocab_size;
  const LayerRecipe r = recipe(f.architecture);
  std::vector<StreamTensor> layout = {{{}, "token_embd.weight", vocab, dim, false, kStd},
                                      {{}, "output_norm.weight", 1, dim, false, 0}};
  if (!f.tied) layout.push_back({{}, "output.weight", vocab, dim, false, kStd});
  if (f.llama3_rope_factors) {
    std::vector<float> factors = llama3_rope_factors(c);
    layout.push_back({std::move(factors), "rope_freqs.weight", 1, q / c.n_heads / 2, false, 0});
  }
  if (f.long_rope)
    for (const auto& [name, top] :
         {std::pair{"rope_factors_long.weight", 50.0}, std::pair{"rope_factors_short.weight", 1.1}})
      layout.push_back({long_rope_factors(c, top), name, 1, q / c.n_heads / 2, false, 0});
  const auto layer = [&](std::string_view part, std::uint64_t rows, std::uint64_t cols, float std) {
    layout.push_back({{}, fmt::format("blk.{{}}.{}", part), rows, cols, true, std});
  };
  layer("attn_norm.weight", 1, dim, 0);
  if (r.fused_qkv) {
    layer("attn_qkv.weight", q + 2 * kv, dim, kStd);
  } else {
    layer("attn_q.weight", q, dim, kStd);
    layer("attn_k.weight", kv, dim, kStd);
    layer("attn_v.weight", kv, dim, kStd);
  }
  if (r.qkv_biases) {
    layer("attn_q.bias", 1, q, kStd);
    layer("attn_k.bias", 1, kv, kStd);
    layer("attn_v.bias", 1, kv, kStd);
  }
  layer("attn_output.weight", dim, q, kStd);
  if (r.post_norms) layer("post_attention_norm.weight", 1, dim, 0);
  layer("ffn_norm.weight", 1, dim, 0);
  if (r.fused_gate_up) {
    layer("ffn_up.weight", 2 * hidden, dim, kStd);
  } else {
    layer("ffn_gate.weight", hidden, dim, kStd);
    layer("ffn_up.weight", hidden, dim, kStd);
  }
  layer("ffn_down.weight", dim, hidden, kStd);
  if (r.post_norms) layer("post_ffw_norm.weight", 1, dim, 0);
  return placed(std::move(layout), c);
}

// Generates stream values in chunks for whichever file is being written, and reports the
// progress over the whole stream.
class WeightStream {
 public:
  using Sink = std::function<void(const void*, std::size_t)>;
  using Progress = std::function<void(std::uint64_t, std::uint64_t)>;
  WeightStream(std::uint64_t seed, std::uint64_t total, Progress progress)
      : seed_(seed), total_(total), progress_(std::move(progress)) {}

  // Elements [first, first + count) of tensor `t`'s stream as f32 bytes into `sink`.
  void write(const StreamTensor& t, std::uint64_t first, std::uint64_t count, const Sink& sink) {
    constexpr std::size_t kChunk = 1 << 22;
    chunk_.resize(std::min<std::uint64_t>(count, kChunk));
    for (std::uint64_t done = 0; done < count;) {
      const std::size_t n = std::min<std::uint64_t>(count - done, kChunk);
      if (!t.values.empty())
        std::copy_n(t.values.begin() + first + done - t.first, n, chunk_.begin());
      else if (t.std > 0)
        fill_random(chunk_.data(), n, first + done, seed_, t.std);
      else
        std::fill_n(chunk_.data(), n, 1.0f);
      sink(chunk_.data(), n * sizeof(float));
      done += n;
      written_ += n;
      if (progress_) progress_(written_, total_);
    }
  }

 private:
  std::uint64_t seed_, total_, written_ = 0;
  Progress progress_;
  std::vector<float> chunk_;
};

void write_checkpoint(const std::string& path, const ModelConfig& c,
                      const std::vector<StreamTensor>& layout, WeightStream& stream) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "wb"),
                                                       &std::fclose);
  if (!file) throw Error(ErrorCode::io, fmt::format("{}: cannot create", path));
  const auto put = [&](const void* data, std::size_t n) {
    if (std::fwrite(data, 1, n, file.get()) != n)
      throw Error(ErrorCode::io, fmt::format("{}: write failed (disk full?)", path));
  };
  // Version 1 header: magic, version, 7 ints, shared-classifier flag, zero padding to 256 bytes.
  unsigned char header[256] = {};
  const std::int32_t fields[9] = {0x616b3432, 1,         c.dim,        c.hidden_dim,
                                  c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size,
                                  c.seq_len};
  std::memcpy(header, fields, sizeof fields);
  header[sizeof fields] = 1;
  put(header, sizeof header);
  for (const StreamTensor& t : layout)
    stream.write(t, t.first, t.part() * (t.per_layer ? c.n_layers : 1), put);
  if (std::fclose(file.release()) != 0)
    throw Error(ErrorCode::io, fmt::format("{}: close failed", path));
}

// A vocabulary of exactly `size` pieces that every text encodes with: <unk>, <s>, </s>, the 256
// byte pieces, "▁", then "▁a" .. "▁z", "▁aa", ... (each one's prefix is a piece too, so BPE
// reaches them).
SentencePieceVocabulary synthetic_vocabulary(int size) {
  SentencePieceVocabulary vocab;
  vocab.byte_fallback = true;
  vocab.entries = {{"<unk>", 0, PieceType::unknown},
                   {"<s>", 0, PieceType::control},
                   {"</s>", 0, PieceType::control}};
  for (int b = 0; b < 256; ++b)
    vocab.entries.push_back({fmt::format("<0x{:02X}>", b), 0, PieceType::byte});
  for (int i = 0; static_cast<int>(vocab.entries.size()) < size; ++i) {
    std::string letters;  // bijective base 26 of i: "", a..z, aa..
    for (int n = i; n > 0; n = (n - 1) / 26) letters.insert(letters.begin(), 'a' + (n - 1) % 26);
    const float score = -static_cast<float>(vocab.entries.size());
    vocab.entries.push_back({"\xE2\x96\x81" + letters, score, PieceType::normal});
  }
  if (static_cast<int>(vocab.entries.size()) != size)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a synthetic vocabulary needs at least {} pieces, not {}",
                            vocab.entries.size(), size));
  return vocab;
}

// The vocabulary to embed: a SentencePiece-style tokenizer file given with -z, or the synthetic
// one; its size must be the model's.
std::unique_ptr<SentencePieceBpe> sentencepiece_vocabulary(const SynthOptions& options,
                                                           const ModelConfig& c) {
  if (options.tokenizer.empty())
    return std::make_unique<SentencePieceBpe>(synthetic_vocabulary(c.vocab_size),
                                              "synthetic vocabulary");
  std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(options.tokenizer);
  auto* vocab = dynamic_cast<SentencePieceBpe*>(tokenizer.get());
  if (!vocab)
    throw Error(ErrorCode::unsupported, "synth embeds SentencePiece-style tokenizers only");
  tokenizer.release();
  return std::unique_ptr<SentencePieceBpe>(vocab);
}

// Every tokenizer.* key of a GGUF file (llama.cpp's ggml-vocab-*.gguf, or a model), copied as it
// is: a family's real vocabulary of whatever kind (byte-level BPE, SentencePiece). Returns its
// number of tokens.
int copy_gguf_vocabulary(GgufWriter& out, const std::string& path) {
  const MappedFile file(path);
  const GgufFile gguf({file.data(), file.size()}, path);
  for (const std::string_view key : gguf.keys()) {
    if (!key.starts_with("tokenizer.")) continue;
    const GgufValue& v = *gguf.find_value(key);
    if (v.type() == GgufType::string)
      out.add_string(key, *v.to_string());
    else if (v.type() == GgufType::boolean)
      out.add_bool(key, *v.to_bool());
    else if (v.to_uint())
      out.add_u32(key, static_cast<std::uint32_t>(*v.to_uint()));
    else if (v.to_float())
      out.add_f32(key, static_cast<float>(*v.to_float()));
    else if (v.type() == GgufType::array && v.element_type() == GgufType::string)
      out.add_strings(key, [&] {
        const auto views = gguf.get<std::vector<std::string_view>>(key);
        return std::vector<std::string>(views.begin(), views.end());
      }());
    else if (v.type() == GgufType::array && v.element_type() == GgufType::f32)
      out.add_f32s(key, *gguf.find<std::vector<float>>(key));
    else if (v.type() == GgufType::array)
      out.add_i32s(key, [&] {
        const auto wide = *gguf.find<std::vector<std::int64_t>>(key);
        return std::vector<std::int32_t>(wide.begin(), wide.end());
      }());
    else
      throw Error(ErrorCode::unsupported,
                  fmt::format("{}: cannot copy '{}' ({})", path, key, v.describe()));
  }
  const auto tokens = gguf.find<std::vector<std::string_view>>("tokenizer.ggml.tokens");
  if (!tokens) throw Error(ErrorCode::bad_format, fmt::format("{}: holds no vocabulary", path));
  return static_cast<int>(tokens->size());
}

// The family's hyper-parameters under <architecture>.*, the keys its converter writes.
void add_family_metadata(GgufWriter& out, const ModelConfig& c, const Family& f) {
  const std::string_view arch = architecture_name(f.architecture);
  const auto key = [&](std::string_view name) { return fmt::format("{}.{}", arch, name); };
  out.add_string("general.architecture", arch);
  out.add_string("general.name", fmt::format("synth-{}", f.name));
  out.add_u32(key("context_length"), c.seq_len);
  out.add_u32(key("embedding_length"), c.dim);
  out.add_u32(key("block_count"), c.n_layers);
  out.add_u32(key("feed_forward_length"), c.hidden_dim);
  out.add_u32(key("attention.head_count"), c.n_heads);
  out.add_u32(key("attention.head_count_kv"), c.n_kv_heads);
  out.add_f32(key("attention.layer_norm_rms_epsilon"), c.norm_eps);
  if (f.architecture != Architecture::gemma2) out.add_f32(key("rope.freq_base"), c.rope_theta);
  if (f.architecture == Architecture::llama || f.architecture == Architecture::phi3)
    out.add_u32(key("rope.dimension_count"), c.head_size());
  if (f.llama3_rope_factors || f.head_dim) {
    out.add_u32(key("attention.key_length"), c.head_size());
    out.add_u32(key("attention.value_length"), c.head_size());
  }
  if (f.architecture == Architecture::llama) out.add_u32(key("vocab_size"), c.vocab_size);
  if (f.architecture == Architecture::phi3) {
    // LongRoPE: the converter's attention factor sqrt(1 + ln(scale) / ln(original context)).
    const int original = f.long_rope ? std::max(2, c.seq_len / kLongRopeScale) : c.seq_len;
    out.add_u32(key("rope.scaling.original_context_length"), original);
    if (f.long_rope)
      out.add_f32(
          key("rope.scaling.attn_factor"),
          static_cast<float>(std::sqrt(1 + std::log(static_cast<double>(c.seq_len) / original) /
                                               std::log(original))));
  }
  if (f.architecture == Architecture::gemma2) {
    out.add_f32(key("attn_logit_softcapping"), 50.0f);
    out.add_f32(key("final_logit_softcapping"), 30.0f);
  }
  if (f.sliding_window) out.add_u32(key("attention.sliding_window"), f.sliding_window);
}

void write_gguf(const SynthOptions& options, const std::string& path, const ModelConfig& c,
                const Family* f, const std::vector<StreamTensor>& layout, WeightStream& stream) {
  GgufWriter out(path);
  if (f)
    add_family_metadata(out, c, *f);
  else
    add_llama_metadata(out, c, "synth-" + options.preset);
  if (is_gguf_file(options.tokenizer)) {
    const int tokens = copy_gguf_vocabulary(out, options.tokenizer);
    if (tokens != c.vocab_size)
      throw Error(ErrorCode::mismatch, fmt::format("{} has {} tokens but the model has {}",
                                                   options.tokenizer, tokens, c.vocab_size));
  } else {
    const std::unique_ptr<SentencePieceBpe> vocab = sentencepiece_vocabulary(options, c);
    if (vocab->vocab_size() != c.vocab_size)
      throw Error(ErrorCode::mismatch,
                  fmt::format("{} has {} tokens but the {} preset has {}", options.tokenizer,
                              vocab->vocab_size(), options.preset, c.vocab_size));
    add_sentencepiece_vocabulary(out, *vocab);
  }
  // The whole-model tensors, then each layer's.
  const auto add = [&](const StreamTensor& t, int layer) {
    const std::uint64_t first = t.first + (t.per_layer ? layer * t.part() : 0);
    out.add_tensor(fmt::format(fmt::runtime(t.gguf_name), layer), t.rows, t.cols, t.rows == 1,
                   kGgmlF32, t.part() * sizeof(float),
                   [&stream, &t, first](const WeightStream::Sink& write) {
                     stream.write(t, first, t.part(), write);
                   });
  };
  for (const StreamTensor& t : layout)
    if (!t.per_layer) add(t, 0);
  for (int l = 0; l < c.n_layers; ++l)
    for (const StreamTensor& t : layout)
      if (t.per_layer) add(t, l);
  out.write();
}

// The shape of a family's file: the preset's ("tiny": 64 wide, 2 layers, as the interop files),
// with the family's vocabulary (the -z file's size when it has one), RoPE base, epsilon and head
// width; Gemma 2 keeps 26 layers in "tiny", the fewest llama.cpp accepts.
ModelConfig family_config(const SynthOptions& options, const Family& f) {
  ModelConfig c{64, 128, 2, 4, 2, f.vocab_size, 2048};
  if (options.preset != "tiny") {
    const auto it = presets().find(options.preset);
    if (it == presets().end())
      throw Error(
          ErrorCode::invalid_argument,
          fmt::format("unknown preset '{}' (expected tiny|260K|15M|110M|1B)", options.preset));
    c = it->second;
  } else if (f.architecture == Architecture::gemma2) {
    c.n_layers = 26;
  }
  if (f.architecture == Architecture::phi3) c.n_kv_heads = c.n_heads;
  c.architecture = f.architecture;
  c.vocab_size = f.vocab_size;
  if (is_gguf_file(options.tokenizer)) {
    const MappedFile file(options.tokenizer);
    const GgufFile gguf({file.data(), file.size()}, options.tokenizer);
    c.vocab_size =
        static_cast<int>(gguf.get<std::vector<std::string_view>>("tokenizer.ggml.tokens").size());
  } else if (!options.tokenizer.empty()) {
    c.vocab_size = sentencepiece_vocabulary(options, c)->vocab_size();
  }
  c.rope_theta = f.rope_theta;
  c.norm_eps = f.norm_eps;
  c.head_dim = f.head_dim;
  c.shared_classifier = f.tied;
  return c;
}

}  // namespace

std::span<const std::string_view> synth_families() {
  static const std::vector<std::string_view> kNames = [] {
    std::vector<std::string_view> names;
    for (const Family& f : kFamilies) names.push_back(f.name);
    return names;
  }();
  return kNames;
}

std::uint64_t synthesize_model(const std::string& path, const SynthOptions& options) {
  const Family* f = options.family.empty() ? nullptr : &family(options.family);
  const bool gguf = options.format == SynthFormat::gguf;
  if (f && !gguf)
    throw Error(ErrorCode::invalid_argument, "a model family is written as GGUF only");
  if (!gguf && !options.tokenizer.empty())
    throw Error(ErrorCode::invalid_argument, "a llama2.c checkpoint holds no tokenizer");
  ModelConfig c;
  if (f) {
    c = family_config(options, *f);
  } else {
    const auto it = presets().find(options.preset);
    if (it == presets().end())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("unknown preset '{}' (expected 260K|15M|110M|1B)", options.preset));
    c = it->second;
  }
  const std::vector<StreamTensor> layout = f ? family_layout(c, *f) : stream_layout(c);
  std::uint64_t total = 0;
  for (const StreamTensor& t : layout) total += t.part() * (t.per_layer ? c.n_layers : 1);
  WeightStream stream(options.seed, total, options.progress);
  if (gguf)
    write_gguf(options, path, c, f, layout, stream);
  else
    write_checkpoint(path, c, layout, stream);
  return total;
}

}  // namespace engine
