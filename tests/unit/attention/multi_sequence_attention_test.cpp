// multi_sequence_attention (a ragged decode step's attention: every sequence's rows in one
// loop, each against its own cache and mask) against multi_head_attention of each sequence
// alone on the row path, bit for bit: a request's tokens must not depend on what else is in the
// batch. The row path itself is checked against a float64 reference in block_attention_test.
// Runs forking OpenMP teams and in a crew of two, with 1 to 9 rows (fewer rows than twice the
// threads split a row's heads into runs of whole KV groups).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "attention/multi_head_attention.hpp"
#include "util/crew.hpp"

namespace engine {
namespace {

// One sequence of the step: its queries, its cache and its mask.
struct Sequence {
  std::vector<float> q;       // (T, q_dim)
  std::vector<float> keys;    // (n_keys, kv_dim)
  std::vector<float> values;  // (n_keys, kv_dim)
  Mask mask;
};

// Sequence i: a decode row at its own position (i * 7 + 3 cached keys), every third one a block
// of 3 rows; sequence 1, when there, a mask with gaps (the masked softmax path without a range).
std::vector<Sequence> sequences(const ModelConfig& c, int count, std::mt19937& rng) {
  std::uniform_real_distribution<float> query(-4.0f, 4.0f), unit(-1.0f, 1.0f);
  std::vector<Sequence> out;
  for (int i = 0; i < count; ++i) {
    const int T = i % 3 == 2 ? 3 : 1, cached = i * 7 + 3, n_keys = cached + T;
    Sequence s{std::vector<float>(static_cast<std::size_t>(T) * c.q_dim()),
               std::vector<float>(static_cast<std::size_t>(n_keys) * c.kv_dim()),
               std::vector<float>(static_cast<std::size_t>(n_keys) * c.kv_dim()),
               causal_block_mask(T, cached)};
    for (float& x : s.q) x = query(rng);
    for (float& x : s.keys) x = unit(rng);
    for (float& x : s.values) x = unit(rng);
    if (i == 1)
      for (int j = 0; j < n_keys; j += 2) s.mask.set(0, j, false);
    out.push_back(std::move(s));
  }
  return out;
}

// Each sequence alone through multi_head_attention (row path): (rows of all, q_dim).
std::vector<float> alone(const ModelConfig& c, const std::vector<Sequence>& seqs) {
  Workspace workspace;
  std::vector<float> out;
  for (const Sequence& s : seqs) {
    std::vector<float> scores(static_cast<std::size_t>(s.mask.rows()) * c.n_heads * s.mask.cols());
    std::vector<float> rows(static_cast<std::size_t>(s.mask.rows()) * c.q_dim());
    multi_head_attention(StepContext{.block_path = false, .workspace = workspace}, c, s.q.data(),
                         s.keys.data(), s.values.data(), s.mask, scores.data(), rows.data(), false);
    out.insert(out.end(), rows.begin(), rows.end());
  }
  return out;
}

// All of them as one step's blocks; NaN-filled outputs, so that an unwritten one shows.
struct Together {
  Together(const ModelConfig& c, const std::vector<Sequence>& seqs) {
    std::size_t rows = 0;
    int most_keys = 0;
    for (const Sequence& s : seqs) {
      rows += s.mask.rows();
      most_keys = std::max(most_keys, s.mask.cols());
    }
    out.assign(rows * c.q_dim(), std::numeric_limits<float>::quiet_NaN());
    scores.resize(rows * c.n_heads * most_keys);
    std::size_t first = 0;
    for (const Sequence& s : seqs) {
      blocks.push_back({.q = s.q.data(),
                        .keys = s.keys.data(),
                        .values = s.values.data(),
                        .mask = &s.mask,
                        .out = out.data() + first * c.q_dim()});
      first += s.mask.rows();
    }
  }
  // The one call, collective on `parallel`.
  void run(const ModelConfig& c, Parallel& parallel) {
    multi_sequence_attention(
        StepContext{.block_path = true, .workspace = workspace, .parallel = parallel}, c, blocks,
        scores.data());
  }

  std::vector<float> out;     // (rows, q_dim)
  std::vector<float> scores;  // (rows, n_heads, most keys)
  std::vector<AttentionBlock> blocks;
  Workspace workspace;
};

void check(const ModelConfig& c) {
  std::mt19937 rng(7);
  for (int count = 1; count <= 7; ++count) {
    SCOPED_TRACE("sequences " + std::to_string(count) + ", heads " + std::to_string(c.n_heads) +
                 "/" + std::to_string(c.n_kv_heads));
    const std::vector<Sequence> seqs = sequences(c, count, rng);
    const std::vector<float> want = alone(c, seqs);
    Together forking(c, seqs);
    forking.run(c, Parallel::forking());
    EXPECT_EQ(forking.out, want) << "forking";
    Together crewed(c, seqs);
    Crew crew;
    crew.run(2, [&](Parallel& member) { crewed.run(c, member); });
    EXPECT_EQ(crewed.out, want) << "crew";
  }
}

TEST(MultiSequenceAttention, EqualsEachSequenceAlone) {
  check(ModelConfig{.dim = 256, .n_heads = 8, .n_kv_heads = 8});
}

TEST(MultiSequenceAttention, GroupedQueryHeads) {
  check(ModelConfig{.dim = 384, .n_heads = 12, .n_kv_heads = 4});
}

}  // namespace
}  // namespace engine
