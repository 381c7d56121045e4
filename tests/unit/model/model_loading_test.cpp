// llama2.c checkpoints: the real model loads with the right shape; every kind of bad file gives
// an engine::Error naming the file and the problem.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/error.hpp"
#include "engine/model/model.hpp"
#include "test_paths.hpp"
#include "tiled_weights.hpp"

namespace engine {
namespace {

namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class BadCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    real_ = read_all(test::require_model("stories260K.bin"));
    path_ =
        (fs::temp_directory_path() / ("bad_ckpt_" + std::to_string(::getpid()) + ".bin")).string();
  }
  void TearDown() override { fs::remove(path_); }

  // Loads `bytes` from a file and expects an Error whose message has the path and `needle`.
  void expect_error(const std::string& bytes, const std::string& needle) {
    std::ofstream(path_, std::ios::binary) << bytes;
    try {
      Model::load(path_);
      FAIL() << "loaded a bad file; expected: " << needle;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path_), std::string::npos) << what;
      EXPECT_NE(what.find(needle), std::string::npos) << what;
    }
  }
  std::string with_header_int(int index, std::int32_t value) const {
    std::string bytes = real_;
    std::memcpy(bytes.data() + 4 * index, &value, 4);
    return bytes;
  }

  std::string real_;
  std::string path_;
};

TEST(ModelLoading, Stories260KShape) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  const ModelConfig& c = model->config();
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.seq_len, 512);
  EXPECT_TRUE(c.shared_classifier);
  // Every float of the file is a parameter, except the header and the two RoPE tables.
  EXPECT_EQ(model->parameter_count() * 4 + 28 + 2 * 512 * 4 * 4, model->file_bytes());
}

TEST_F(BadCheckpoint, Truncated) {
  expect_error(real_.substr(0, real_.size() - 4), "truncated");
  expect_error(real_.substr(0, 100), "truncated");
  expect_error(real_.substr(0, 10), "too small");
}

// A file of nothing or of text is not a damaged model: the message says what it is.
TEST_F(BadCheckpoint, EmptyFileSaysSo) {
  expect_error("", "empty file");
}

TEST_F(BadCheckpoint, TextIsNotAModelFile) {
  const std::string not_a_model = "not a model file (neither GGUF nor llama2.c)";
  expect_error("Once upon a time there was a little girl named Lily.\n", not_a_model);
  expect_error("hello\n", not_a_model);
  expect_error(std::string(4096, '\xff'), not_a_model);
}

TEST_F(BadCheckpoint, TrailingData) {
  expect_error(real_ + "xxxx", "trailing");
}

TEST_F(BadCheckpoint, ZeroHugeAndNegativeDims) {
  expect_error(with_header_int(0, 0), "dim = 0");
  expect_error(with_header_int(0, 1 << 30), "dim = ");
  expect_error(with_header_int(2, -3), "n_layers = -3");
  expect_error(with_header_int(3, 7), "multiple of n_heads");
  expect_error(with_header_int(4, 3), "n_kv_heads");
  expect_error(with_header_int(6, 0x7fffffff), "seq_len");
  expect_error(with_header_int(5, INT32_MIN), "vocab_size");
}

TEST_F(BadCheckpoint, WrongHeaderAndVersion) {
  std::string v2(256, '\0');
  const std::uint32_t magic = 0x616b3432;
  const std::int32_t version = 2;
  std::memcpy(v2.data(), &magic, 4);
  std::memcpy(v2.data() + 4, &version, 4);
  expect_error(v2, "version 2");
  v2[4] = 1;
  expect_error(v2.substr(0, 100), "too small for a version 1");
}

TEST(ModelLoading, MissingFileAndDirectory) {
  EXPECT_THROW(Model::load("/nonexistent/x.bin"), Error);
  EXPECT_THROW(Model::load(fs::temp_directory_path().string()), Error);
}

// The version 1 export of the same weights loads to the same tensors.
TEST(ModelLoading, Version1ExportEqualsLegacy) {
  const std::string legacy = read_all(test::require_model("stories260K.bin"));
  const auto model = Model::load(test::require_model("stories260K.bin"));
  const ModelConfig& c = model->config();
  const TransformerWeights& w = model->weights();
  std::string v1(256, '\0');
  const std::uint32_t magic = 0x616b3432;
  const std::int32_t header[8] = {1,         c.dim,        c.hidden_dim, c.n_layers,
                                  c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len};
  std::memcpy(v1.data(), &magic, 4);
  std::memcpy(v1.data() + 4, header, sizeof header);
  v1[36] = 1;  // shared classifier
  const auto append = [&](const float* p, std::size_t n) {
    v1.append(reinterpret_cast<const char*>(p), n * sizeof(float));
  };
  const auto append_matrix = [&](const Matrix& m) {
    const std::vector<float> values = test::matrix_values(m);
    append(values.data(), values.size());
  };
  for (const auto& layer : w.layers) append(layer.rms_att, c.dim);
  for (const auto& layer : w.layers) append(layer.rms_ffn, c.dim);
  append(w.rms_final, c.dim);
  append_matrix(w.token_embedding);
  for (auto field : {&LayerWeights::wq, &LayerWeights::wk, &LayerWeights::wv, &LayerWeights::wo,
                     &LayerWeights::w1, &LayerWeights::w2, &LayerWeights::w3})
    for (const auto& layer : w.layers) append_matrix(layer.*field);
  const auto path = fs::temp_directory_path() / "stories260K_v1.bin";
  std::ofstream(path, std::ios::binary) << v1;
  const auto loaded = Model::load(path.string());
  fs::remove(path);
  const TransformerWeights& v = loaded->weights();
  EXPECT_EQ(loaded->parameter_count(), model->parameter_count());
  const auto same = [](const Matrix& a, const Matrix& b) {
    return a.rows == b.rows && a.cols == b.cols && test::matrix_values(a) == test::matrix_values(b);
  };
  for (int l = 0; l < c.n_layers; ++l) {
    EXPECT_TRUE(same(v.layers[l].wq, w.layers[l].wq));
    EXPECT_TRUE(same(v.layers[l].w3, w.layers[l].w3));
    EXPECT_EQ(0, std::memcmp(v.layers[l].rms_ffn, w.layers[l].rms_ffn, c.dim * 4));
  }
  EXPECT_TRUE(same(v.token_embedding, w.token_embedding));
  EXPECT_EQ(0, std::memcmp(v.rms_final, w.rms_final, c.dim * sizeof(float)));
  EXPECT_EQ(v.wcls.data, v.token_embedding.data);
}

}  // namespace
}  // namespace engine
