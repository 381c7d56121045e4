// engine synth: write a llama2.c checkpoint (version 1, fp32) of a standard shape with random
// weights, for benchmarks: throughput does not depend on the weight values. Streams to disk in
// chunks, so a 4.4 GB file never sits in memory.
#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "cli/progress_bar.hpp"
#include "engine/error.hpp"
#include "engine/model/config.hpp"

namespace engine::cli {
namespace {

struct SynthArgs {
  std::string preset;
  std::string output;
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

class CheckpointWriter {
 public:
  CheckpointWriter(const std::string& path, std::uint64_t total_floats, std::uint64_t seed)
      : path_(path), file_(std::fopen(path.c_str(), "wb")), total_(total_floats), seed_(seed) {
    if (!file_) throw Error(ErrorCode::io, fmt::format("{}: cannot create", path));
  }
  ~CheckpointWriter() {
    if (file_) std::fclose(file_);
  }
  void write_bytes(const void* data, std::size_t n) {
    if (std::fwrite(data, 1, n, file_) != n)
      throw Error(ErrorCode::io, fmt::format("{}: write failed (disk full?)", path_));
  }
  // `count` floats: random with `std`, or all `constant` when std == 0.
  void write_tensor(std::uint64_t count, float std, float constant = 0.0f) {
    constexpr std::size_t kChunk = 1 << 22;
    chunk_.resize(std::min<std::uint64_t>(count, kChunk));
    for (std::uint64_t done = 0; done < count;) {
      const std::size_t n = std::min<std::uint64_t>(count - done, kChunk);
      if (std > 0)
        fill_random(chunk_.data(), n, written_, seed_, std);
      else
        std::fill_n(chunk_.data(), n, constant);
      write_bytes(chunk_.data(), n * sizeof(float));
      done += n;
      written_ += n;
      progress();
    }
  }
  void close() {
    if (std::fclose(file_) != 0) throw Error(ErrorCode::io, fmt::format("{}: close failed", path_));
    file_ = nullptr;
  }

 private:
  void progress() {
    show_progress(written_, total_, fmt::format("{:.2f} GB", written_ * 4.0 / 1e9));
  }
  std::string path_;
  std::FILE* file_;
  std::uint64_t total_, seed_, written_ = 0;
  std::vector<float> chunk_;
};

void run_synth(const SynthArgs& args) {
  const auto it = presets().find(args.preset);
  if (it == presets().end())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("unknown preset '{}' (expected 260K|15M|110M|1B)", args.preset));
  const ModelConfig& c = it->second;
  const std::uint64_t dim = c.dim, layers = c.n_layers, hidden = c.hidden_dim,
                      kv = static_cast<std::uint64_t>(c.kv_dim()), vocab = c.vocab_size;
  const std::uint64_t total =
      layers * (2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * hidden * dim) + dim + vocab * dim;
  CheckpointWriter out(args.output, total, args.seed);

  // Version 1 header: magic, version, 7 ints, shared-classifier flag, zero padding to 256 bytes.
  unsigned char header[256] = {};
  const std::int32_t fields[9] = {0x616b3432, 1,         c.dim,        c.hidden_dim,
                                  c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size,
                                  c.seq_len};
  std::memcpy(header, fields, sizeof fields);
  header[sizeof fields] = 1;
  out.write_bytes(header, sizeof header);

  constexpr float kStd = 0.02f;
  out.write_tensor(layers * dim, 0, 1.0f);            // rms_att
  out.write_tensor(layers * dim, 0, 1.0f);            // rms_ffn
  out.write_tensor(dim, 0, 1.0f);                     // rms_final
  out.write_tensor(vocab * dim, kStd);                // token embedding (shared classifier)
  out.write_tensor(layers * dim * dim, kStd);         // wq
  out.write_tensor(layers * kv * dim, kStd);          // wk
  out.write_tensor(layers * kv * dim, kStd);          // wv
  out.write_tensor(layers * dim * dim, kStd);         // wo
  out.write_tensor(3 * layers * hidden * dim, kStd);  // w1, w2, w3
  out.close();
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  CLI::App* cmd = app.add_subcommand(
      "synth", "Write a llama2.c checkpoint of a standard shape with random weights");
  cmd->add_option("--preset", args->preset, "260K|15M|110M|1B")->required();
  cmd->add_option("-o,--output", args->output, "output file")->required();
  cmd->add_option("--seed", args->seed, "random seed")->capture_default_str();
  cmd->callback([args] { run_synth(*args); });
}

}  // namespace engine::cli
