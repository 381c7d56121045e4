// multi_head_attention on the block path (register-tiled kernels, head by head, 16-row chunks
// over the keys their rows may see) against the row path and a float64 reference written from
// the definition, for every mask kind, partial chunks, cached keys before the block, grouped
// query heads and head sizes that are not a multiple of the vector width; and the observed
// probabilities of the block path.
#include "attention/multi_head_attention.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops/block_path.hpp"

namespace engine {
namespace {

// Outputs are convex combinations of values in [-1, 1]: errors are measured against that scale.
constexpr double kTolerance = 1e-5;

ModelConfig config(int dim, int n_heads, int n_kv_heads) {
  ModelConfig c;
  c.dim = dim;
  c.n_heads = n_heads;
  c.n_kv_heads = n_kv_heads;
  return c;
}

struct Inputs {
  std::vector<float> q;       // (T, dim)
  std::vector<float> keys;    // (n_keys, kv_dim)
  std::vector<float> values;  // (n_keys, kv_dim)
};

Inputs random_inputs(const ModelConfig& c, int T, int n_keys, std::uint32_t seed) {
  std::mt19937 rng(seed);
  // Queries scaled up so that the softmax rows are far from uniform.
  std::uniform_real_distribution<float> query(-4.0f, 4.0f), unit(-1.0f, 1.0f);
  Inputs in{std::vector<float>(static_cast<std::size_t>(T) * c.dim),
            std::vector<float>(static_cast<std::size_t>(n_keys) * c.kv_dim()),
            std::vector<float>(static_cast<std::size_t>(n_keys) * c.kv_dim())};
  for (float& x : in.q) x = query(rng);
  for (float& x : in.keys) x = unit(rng);
  for (float& x : in.values) x = unit(rng);
  return in;
}

struct Reference {
  std::vector<double> probabilities;  // (T, n_heads, n_keys)
  std::vector<double> out;            // (T, dim)
};

// From the definition: per row and head, the softmax of q.k / sqrt(head_size) over the keys the
// mask allows (the others 0, all 0 when none is allowed), then the weighted sum of the values.
Reference reference(const ModelConfig& c, const Inputs& in, const Mask& mask) {
  const int T = mask.rows(), n_keys = mask.cols(), hs = c.head_size(), kv_dim = c.kv_dim();
  Reference ref{std::vector<double>(static_cast<std::size_t>(T) * c.n_heads * n_keys, 0.0),
                std::vector<double>(static_cast<std::size_t>(T) * c.dim, 0.0)};
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < c.n_heads; ++h) {
      const int kv = h / c.kv_group() * hs;
      double* p = &ref.probabilities[(static_cast<std::size_t>(t) * c.n_heads + h) * n_keys];
      double max = -std::numeric_limits<double>::infinity();
      for (int j = 0; j < n_keys; ++j) {
        if (!mask.at(t, j)) continue;
        double dot = 0;
        for (int d = 0; d < hs; ++d)
          dot += static_cast<double>(in.q[static_cast<std::size_t>(t) * c.dim + h * hs + d]) *
                 in.keys[static_cast<std::size_t>(j) * kv_dim + kv + d];
        p[j] = dot / std::sqrt(static_cast<double>(hs));
        max = std::max(max, p[j]);
      }
      double sum = 0;
      for (int j = 0; j < n_keys; ++j)
        if (mask.at(t, j)) sum += p[j] = std::exp(p[j] - max);
      for (int j = 0; j < n_keys; ++j) {
        if (!mask.at(t, j)) continue;
        p[j] /= sum;
        for (int d = 0; d < hs; ++d)
          ref.out[static_cast<std::size_t>(t) * c.dim + h * hs + d] +=
              p[j] * in.values[static_cast<std::size_t>(j) * kv_dim + kv + d];
      }
    }
  return ref;
}

bool fully_masked(const Mask& mask, int t) {
  for (int j = 0; j < mask.cols(); ++j)
    if (mask.at(t, j)) return false;
  return true;
}

struct Run {
  std::vector<float> scores;  // (T, n_heads, n_keys)
  std::vector<float> out;     // (T, dim)
};

// One call, on the block path or the row path; NaN-filled buffers catch unwritten entries.
Run run(const ModelConfig& c, const Inputs& in, const Mask& mask, bool block, bool observed) {
  const int T = mask.rows(), n_keys = mask.cols();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Run r{std::vector<float>(static_cast<std::size_t>(T) * c.n_heads * n_keys, nan),
        std::vector<float>(static_cast<std::size_t>(T) * c.dim, nan)};
  Workspace workspace;
  multi_head_attention(StepContext{.block_path = block, .workspace = workspace}, c, in.q.data(),
                       in.keys.data(), in.values.data(), mask, r.scores.data(), r.out.data(),
                       observed);
  return r;
}

// The block path against the row path and the reference, its observed probabilities against
// the reference, and exact zeros for fully masked rows.
void check(const ModelConfig& c, const Mask& mask, const std::string& what) {
  const int T = mask.rows(), n_keys = mask.cols();
  SCOPED_TRACE(what + ": T " + std::to_string(T) + ", keys " + std::to_string(n_keys) + ", heads " +
               std::to_string(c.n_heads) + "/" + std::to_string(c.n_kv_heads) + ", head size " +
               std::to_string(c.head_size()));
  const std::int64_t work = static_cast<std::int64_t>(T) * c.n_heads * n_keys * c.head_size();
  Workspace workspace;
  ASSERT_TRUE(takes_block_path(StepContext{.block_path = true, .workspace = workspace}, T, work))
      << "the case must reach the block path";
  ASSERT_FALSE(takes_block_path(StepContext{.block_path = false, .workspace = workspace}, T, work));

  const Inputs in = random_inputs(c, T, n_keys, static_cast<std::uint32_t>(T * 1000 + n_keys));
  const Reference ref = reference(c, in, mask);
  const Run block = run(c, in, mask, true, true);
  const Run rows = run(c, in, mask, false, false);
  // Without an observer the block path gives the same outputs.
  EXPECT_EQ(run(c, in, mask, true, false).out, block.out);

  for (int t = 0; t < T; ++t) {
    const bool none = fully_masked(mask, t);
    for (int i = 0; i < c.dim; ++i) {
      const std::size_t at = static_cast<std::size_t>(t) * c.dim + i;
      if (none) {
        ASSERT_EQ(block.out[at], 0.0f) << "row " << t << " column " << i;
        ASSERT_EQ(rows.out[at], 0.0f) << "row " << t << " column " << i;
        continue;
      }
      ASSERT_NEAR(block.out[at], rows.out[at], kTolerance) << "row " << t << " column " << i;
      ASSERT_NEAR(block.out[at], ref.out[at], kTolerance) << "row " << t << " column " << i;
    }
    for (int h = 0; h < c.n_heads; ++h) {
      const std::size_t base = (static_cast<std::size_t>(t) * c.n_heads + h) * n_keys;
      double sum = 0;
      for (int j = 0; j < n_keys; ++j) {
        const float p = block.scores[base + j];
        if (!mask.at(t, j)) {
          ASSERT_EQ(p, 0.0f) << "masked row " << t << " head " << h << " key " << j;
          continue;
        }
        ASSERT_NEAR(p, ref.probabilities[base + j], kTolerance)
            << "row " << t << " head " << h << " key " << j;
        sum += p;
      }
      ASSERT_NEAR(sum, none ? 0.0 : 1.0, kTolerance) << "row " << t << " head " << h;
    }
  }
}

// A mask with gaps: random entries, one row allowing a single key, one fully masked row.
Mask custom_mask(int T, int n_keys) {
  std::mt19937 rng(static_cast<std::uint32_t>(T * 31 + n_keys));
  std::bernoulli_distribution allowed(0.4);
  Mask mask(T, n_keys, 0);
  for (int t = 0; t < T; ++t)
    for (int j = 0; j < n_keys; ++j) mask.set(t, j, allowed(rng));
  for (int j = 0; j < n_keys; ++j) {
    mask.set(2, j, j == n_keys / 2);
    mask.set(T - 1, j, false);
  }
  return mask;
}

// Every mask kind for T in {17, 40, 67} (one full and a partial 16-row chunk at least) and
// n_keys in {T, T + 30} (30 cached keys before the block).
void check_mask_kinds(const ModelConfig& c) {
  for (const int T : {17, 40, 67})
    for (const int cached : {0, 30}) {
      const int n_keys = cached + T;
      const Mask causal = causal_block_mask(T, cached);
      check(c, causal, "causal");
      // The block's first 5 queries are padding: fully masked rows.
      check(c, padding_block_mask(T, cached, cached + 5) & causal, "left padding");
      check(c, sliding_window_block_mask(T, cached, 7), "sliding window 7");
      check(c, sliding_window_block_mask(T, cached, 20), "sliding window 20");
      check(c, prefix_lm_block_mask(T, cached, cached + T / 2), "prefix-LM");
      check(c, custom_mask(T, n_keys), "custom with gaps");
      Mask one_masked = causal;
      for (int j = 0; j < n_keys; ++j) one_masked.set(T / 2, j, false);
      check(c, one_masked, "causal with a fully masked row");
      check(c, Mask(T, n_keys, 0), "all masked");
    }
}

TEST(BlockAttention, MultiHeadHeadSize32) {
  check_mask_kinds(config(4096, 128, 128));
}

TEST(BlockAttention, GroupedQueryTwoKvHeads) {
  check_mask_kinds(config(4096, 128, 2));
}

// Head size 48: partial vectors in every tile; groups of 7 query heads that straddle the
// threads' shares of the heads.
TEST(BlockAttention, GroupedQueryHeadSize48) {
  check_mask_kinds(config(4032, 84, 12));
}

TEST(BlockAttention, GroupedQueryHeadSize128) {
  check_mask_kinds(config(4096, 32, 8));
}

}  // namespace
}  // namespace engine
