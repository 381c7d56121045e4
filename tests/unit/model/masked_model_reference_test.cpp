// Any mask through the model equals a direct computation: a straightforward reference forward
// pass (no KV cache, every product a plain loop in double, written from the Llama definition)
// under the same mask, on the real stories260K weights.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/attention/mask.hpp"
#include "engine/error.hpp"
#include "engine/model/session.hpp"
#include "test_paths.hpp"
#include "tiled_weights.hpp"

namespace engine {
namespace {

using Rows = std::vector<std::vector<double>>;

Rows linear(const Rows& x, const Matrix& w) {
  Rows y(x.size(), std::vector<double>(w.rows));
  const std::vector<float> values = test::matrix_values(w);
  for (std::size_t t = 0; t < x.size(); ++t)
    for (int o = 0; o < w.rows; ++o) {
      double s = 0;
      for (int i = 0; i < w.cols; ++i)
        s += values[static_cast<std::size_t>(o) * w.cols + i] * x[t][i];
      y[t][o] = s;
    }
  return y;
}

Rows rmsnorm(const Rows& x, const float* weight) {
  Rows y = x;
  for (auto& row : y) {
    double ss = 0;
    for (double v : row) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / row.size() + 1e-5);
    for (std::size_t i = 0; i < row.size(); ++i) row[i] *= inv * weight[i];
  }
  return y;
}

// Llama2.c-style RoPE: consecutive pairs of each head rotated by pos * theta^(-2i/head_size).
void rope(Rows& x, int head_size) {
  for (std::size_t pos = 0; pos < x.size(); ++pos)
    for (std::size_t i = 0; i < x[pos].size(); i += 2) {
      const double freq = std::pow(10000.0, -static_cast<double>(i % head_size) / head_size);
      const double a = pos * freq, v0 = x[pos][i], v1 = x[pos][i + 1];
      x[pos][i] = v0 * std::cos(a) - v1 * std::sin(a);
      x[pos][i + 1] = v0 * std::sin(a) + v1 * std::cos(a);
    }
}

Rows reference_logits(const Model& model, const std::vector<int>& tokens, const Mask& mask) {
  const ModelConfig& c = model.config();
  const TransformerWeights& w = model.weights();
  const int N = static_cast<int>(tokens.size()), hs = c.head_size();
  Rows x(N, std::vector<double>(c.dim));
  const std::vector<float> embedding = test::matrix_values(w.token_embedding);
  for (int t = 0; t < N; ++t)
    for (int i = 0; i < c.dim; ++i)
      x[t][i] = embedding[static_cast<std::size_t>(tokens[t]) * c.dim + i];
  for (const LayerWeights& l : w.layers) {
    const Rows xb = rmsnorm(x, l.rms_att);
    Rows q = linear(xb, l.wq), k = linear(xb, l.wk);
    const Rows v = linear(xb, l.wv);
    rope(q, hs);
    rope(k, hs);
    Rows att(N, std::vector<double>(c.dim, 0.0));
    for (int t = 0; t < N; ++t)
      for (int h = 0; h < c.n_heads; ++h) {
        const int kvh = h / c.kv_group();
        std::vector<double> p(N, 0.0);
        double max = -INFINITY, sum = 0;
        for (int j = 0; j < N; ++j) {
          if (!mask.at(t, j)) continue;
          double s = 0;
          for (int i = 0; i < hs; ++i) s += q[t][h * hs + i] * k[j][kvh * hs + i];
          p[j] = s / std::sqrt(static_cast<double>(hs));
          max = std::max(max, p[j]);
        }
        if (max == -INFINITY) continue;  // nothing to attend to: the output stays zero
        for (int j = 0; j < N; ++j) sum += p[j] = mask.at(t, j) ? std::exp(p[j] - max) : 0.0;
        for (int j = 0; j < N; ++j)
          for (int i = 0; i < hs; ++i) att[t][h * hs + i] += p[j] / sum * v[j][kvh * hs + i];
      }
    const Rows o = linear(att, l.wo);
    for (int t = 0; t < N; ++t)
      for (int i = 0; i < c.dim; ++i) x[t][i] += o[t][i];
    const Rows xf = rmsnorm(x, l.rms_ffn);
    Rows gate = linear(xf, l.w1);
    const Rows up = linear(xf, l.w3);
    for (int t = 0; t < N; ++t)
      for (int i = 0; i < c.hidden_dim; ++i)
        gate[t][i] = gate[t][i] / (1.0 + std::exp(-gate[t][i])) * up[t][i];
    const Rows down = linear(gate, l.w2);
    for (int t = 0; t < N; ++t)
      for (int i = 0; i < c.dim; ++i) x[t][i] += down[t][i];
  }
  return linear(rmsnorm(x, w.rms_final), w.wcls);
}

class MaskedModel : public ::testing::Test {
 protected:
  void SetUp() override { model_ = Model::load(test::require_model("stories260K.bin")); }
  void expect_matches_reference(const Mask& mask, const std::string& name) {
    Session session(model_);
    const auto got = session.forward(tokens_, mask, /*all_logits=*/true);
    const Rows want = reference_logits(*model_, tokens_, mask);
    const int vocab = model_->config().vocab_size;
    double max_diff = 0;
    for (std::size_t t = 0; t < tokens_.size(); ++t)
      for (int j = 0; j < vocab; ++j)
        max_diff = std::max(max_diff, std::abs(got[t * vocab + j] - want[t][j]));
    EXPECT_LE(max_diff, 1e-4) << name;
  }
  std::shared_ptr<const Model> model_;
  const std::vector<int> tokens_ = {1, 403, 407, 261, 378, 429, 287, 411, 374, 290, 325, 311};
};

TEST_F(MaskedModel, CausalEqualsReference) {
  expect_matches_reference(subsequent_mask(12), "causal");
}

TEST_F(MaskedModel, PrefixLmEqualsReference) {
  expect_matches_reference(prefix_lm_mask(12, 5), "prefix-LM");
}

TEST_F(MaskedModel, SlidingWindowEqualsReference) {
  expect_matches_reference(sliding_window_mask(12, 4), "window 4");
}

TEST_F(MaskedModel, CustomMaskWithAFullyMaskedRowEqualsReference) {
  std::mt19937 rng(11);
  std::vector<std::vector<int>> rows(12, std::vector<int>(12));
  for (auto& row : rows)
    for (int& v : row) v = rng() % 2;
  rows[3].assign(12, 0);  // attends to nothing: zeros, never NaN
  expect_matches_reference(Mask(rows), "custom");
}

TEST_F(MaskedModel, WindowAsWideAsTheContextIsCausal) {
  Session a(model_), b(model_);
  const auto causal = a.forward(tokens_, true);
  const std::vector<float> want(causal.begin(), causal.end());
  const auto windowed = b.forward(tokens_, sliding_window_mask(12, 512), true);
  EXPECT_EQ(std::vector<float>(windowed.begin(), windowed.end()), want);
}

TEST_F(MaskedModel, MaskOfTheWrongShapeIsRejected) {
  Session session(model_);
  EXPECT_THROW(session.forward(tokens_, subsequent_mask(11)), Error);
}

}  // namespace
}  // namespace engine
