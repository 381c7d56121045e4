// A model whose weights make the logits NaN: `engine generate` ends with one `engine: error:`
// line naming the step and a non-zero exit, greedy or sampled — never a crash or token-0 text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

// stories260K.bin with its final RMSNorm weights (rms_final) set to NaN. The llama2.c layout:
// a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len),
// then token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3 and rms_final, all f32.
std::string nan_checkpoint(const fs::path& dir) {
  std::string bytes = read_file(require_model("stories260K.bin"));
  std::int32_t h[7];
  std::memcpy(h, bytes.data(), sizeof h);
  const std::int64_t dim = h[0], hidden = h[1], layers = h[2], kv_dim = dim * h[4] / h[3],
                     vocab = h[5] < 0 ? -h[5] : h[5];
  const std::int64_t floats_before = vocab * dim + layers * dim + layers * dim * dim +
                                     2 * layers * dim * kv_dim + layers * dim * dim + layers * dim +
                                     3 * layers * dim * hidden;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (std::int64_t i = 0; i < dim; ++i)
    std::memcpy(&bytes[sizeof h + (floats_before + i) * sizeof(float)], &nan, sizeof nan);
  const fs::path path = dir / "nan.bin";
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

TEST(NonFiniteLogits, GenerateFailsWithOneErrorLineNamingTheStep) {
  const fs::path dir = fs::temp_directory_path() / ("engine_nan_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string model = nan_checkpoint(dir);
  for (const char* temperature : {"0", "1"}) {
    const CliResult r =
        run_cli("generate -m " + quote(model) + " -z " + quote(require_model("tok512.bin")) +
                " -p 'Once upon a time' -n 8 --seed 1 --temperature " + temperature);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.rfind("engine: error: generation step 1: the logits are not finite", 0), 0u)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace engine::test
