// engine synth: write a llama model of a standard shape with random weights, for benchmarks
// (throughput does not depend on the weight values): a llama2.c checkpoint (version 1, fp32), or
// a GGUF (llama architecture, f32, a vocabulary embedded) when the output ends in .gguf. Values
// are generated in chunks while writing, so a 4.4 GB file never sits in memory. Both formats
// draw from one stream in llama2.c order, so a .bin and a .gguf of one seed hold the same
// weights and give the same logits.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "cli/llama_gguf_metadata.hpp"
#include "cli/progress_bar.hpp"
#include "engine/error.hpp"
#include "engine/model/config.hpp"
#include "engine/tokenizer.hpp"
#include "format/gguf_tensor_type.hpp"
#include "format/gguf_writer.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"

namespace engine::cli {
namespace {

struct SynthArgs {
  std::string preset;
  std::string output;
  std::string tokenizer;
  std::uint64_t seed = 1;
};

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
  std::string gguf_name;     // "blk.{}.attn_q.weight" ({} the layer) or "token_embd.weight"
  std::uint64_t rows, cols;  // of one layer's part; rows == 1: a vector
  bool per_layer;
  float std;                // 0: all ones (norm weights)
  std::uint64_t first = 0;  // stream index of its first element
  std::uint64_t part() const { return rows * cols; }
};

// The llama2.c checkpoint order (after the header), with each tensor's place in the stream.
std::vector<StreamTensor> stream_layout(const ModelConfig& c) {
  constexpr float kStd = 0.02f;
  const std::uint64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  std::vector<StreamTensor> layout = {
      {"blk.{}.attn_norm.weight", 1, dim, true, 0},
      {"blk.{}.ffn_norm.weight", 1, dim, true, 0},
      {"output_norm.weight", 1, dim, false, 0},
      {"token_embd.weight", vocab, dim, false, kStd},  // the classifier too (shared)
      {"blk.{}.attn_q.weight", dim, dim, true, kStd},
      {"blk.{}.attn_k.weight", kv, dim, true, kStd},
      {"blk.{}.attn_v.weight", kv, dim, true, kStd},
      {"blk.{}.attn_output.weight", dim, dim, true, kStd},
      {"blk.{}.ffn_gate.weight", hidden, dim, true, kStd},
      {"blk.{}.ffn_down.weight", dim, hidden, true, kStd},
      {"blk.{}.ffn_up.weight", hidden, dim, true, kStd},
  };
  std::uint64_t first = 0;
  for (StreamTensor& t : layout) {
    t.first = first;
    first += t.part() * (t.per_layer ? c.n_layers : 1);
  }
  return layout;
}

// Generates stream values in chunks for whichever file is being written, and draws the progress
// bar over the whole stream.
class WeightStream {
 public:
  using Sink = std::function<void(const void*, std::size_t)>;
  WeightStream(std::uint64_t seed, std::uint64_t total) : seed_(seed), total_(total) {}

  // Elements [first, first + count) of tensor `t`'s stream as f32 bytes into `sink`.
  void write(const StreamTensor& t, std::uint64_t first, std::uint64_t count, const Sink& sink) {
    constexpr std::size_t kChunk = 1 << 22;
    chunk_.resize(std::min<std::uint64_t>(count, kChunk));
    for (std::uint64_t done = 0; done < count;) {
      const std::size_t n = std::min<std::uint64_t>(count - done, kChunk);
      if (t.std > 0)
        fill_random(chunk_.data(), n, first + done, seed_, t.std);
      else
        std::fill_n(chunk_.data(), n, 1.0f);
      sink(chunk_.data(), n * sizeof(float));
      done += n;
      written_ += n;
      show_progress(written_, total_, fmt::format("{:.2f} GB", written_ * 4.0 / 1e9));
    }
  }

 private:
  std::uint64_t seed_, total_, written_ = 0;
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

void write_gguf(const SynthArgs& args, const ModelConfig& c,
                const std::vector<StreamTensor>& layout, WeightStream& stream) {
  std::unique_ptr<Tokenizer> tokenizer =
      args.tokenizer.empty() ? std::make_unique<SentencePieceBpe>(
                                   synthetic_vocabulary(c.vocab_size), "synthetic vocabulary")
                             : load_tokenizer(args.tokenizer);
  const auto* vocab = dynamic_cast<const SentencePieceBpe*>(tokenizer.get());
  if (!vocab)
    throw Error(ErrorCode::unsupported, "synth embeds SentencePiece-style tokenizers only");
  if (vocab->vocab_size() != c.vocab_size)
    throw Error(ErrorCode::mismatch,
                fmt::format("{} has {} tokens but the {} preset has {}", args.tokenizer,
                            vocab->vocab_size(), args.preset, c.vocab_size));

  GgufWriter out(args.output);
  add_llama_metadata(out, c, "synth-" + args.preset);
  add_sentencepiece_vocabulary(out, *vocab);
  // The whole-model tensors, then each layer's (the classifier is tied to the embedding).
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

void run_synth(const SynthArgs& args) {
  const auto it = presets().find(args.preset);
  if (it == presets().end())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("unknown preset '{}' (expected 260K|15M|110M|1B)", args.preset));
  const ModelConfig& c = it->second;
  const bool gguf = std::filesystem::path(args.output).extension() == ".gguf";
  if (!gguf && !args.tokenizer.empty())
    throw Error(ErrorCode::invalid_argument,
                "-z embeds a tokenizer in a .gguf output; a llama2.c checkpoint holds none");
  const std::vector<StreamTensor> layout = stream_layout(c);
  std::uint64_t total = 0;
  for (const StreamTensor& t : layout) total += t.part() * (t.per_layer ? c.n_layers : 1);
  WeightStream stream(args.seed, total);
  if (gguf)
    write_gguf(args, c, layout, stream);
  else
    write_checkpoint(args.output, c, layout, stream);
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  CLI::App* cmd = app.add_subcommand(
      "synth", "Write a llama model of a standard shape with random weights (.bin or .gguf)");
  cmd->add_option("--preset", args->preset, "260K|15M|110M|1B")->required();
  cmd->add_option("-o,--output", args->output, "output file: llama2.c checkpoint, or *.gguf")
      ->required();
  cmd->add_option("-z,--tokenizer", args->tokenizer,
                  "tokenizer to embed in a .gguf (default: a synthetic vocabulary)");
  cmd->add_option("--seed", args->seed, "random seed")->capture_default_str();
  cmd->callback([args] { run_synth(*args); });
}

}  // namespace engine::cli
