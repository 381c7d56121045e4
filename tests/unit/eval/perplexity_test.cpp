// Perplexity with loss masks: the windows' and lines' masks by hand, the mean NLL of the scored
// positions against the double-precision reference forward of stories260K (family_reference.hpp),
// batched against unbatched, and the KL divergence of a model against its own base and a q8 copy.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <vector>

#include "engine/error.hpp"
#include "engine/eval/kl_divergence.hpp"
#include "engine/eval/log_prob_file.hpp"
#include "engine/eval/perplexity.hpp"
#include "engine/tokenizer.hpp"
#include "family_reference.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

using LossMask = std::vector<std::uint8_t>;

TEST(StridedWindows, ScoreEveryTextTokenOnceAfterTheContext) {
  const std::vector<int> text = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
  // BOS plus 4 text tokens per window, advancing by 2: each window after the first scores the
  // 2 tokens past the previous window's end.
  const std::vector<ScoredSequence> w = strided_windows(text, 1, 5, 2);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].tokens, (std::vector<int>{1, 10, 11, 12, 13}));
  EXPECT_EQ(w[0].scored, (LossMask{0, 1, 1, 1, 1}));
  EXPECT_EQ(w[1].tokens, (std::vector<int>{1, 12, 13, 14, 15}));
  EXPECT_EQ(w[1].scored, (LossMask{0, 0, 0, 1, 1}));
  EXPECT_EQ(w[3].tokens, (std::vector<int>{1, 16, 17, 18, 19}));
  EXPECT_EQ(w[3].scored, (LossMask{0, 0, 0, 1, 1}));
  // A text that ends inside a window: the last window is shorter.
  const std::vector<ScoredSequence> short_end = strided_windows({text.data(), 7}, 1, 5, 2);
  ASSERT_EQ(short_end.size(), 3u);
  EXPECT_EQ(short_end[2].tokens, (std::vector<int>{1, 14, 15, 16}));
  EXPECT_EQ(short_end[2].scored, (LossMask{0, 0, 0, 1}));
  // Both score every text token, in other windows: a KL base of one does not fit the other.
  EXPECT_NE(sequences_fingerprint(w), sequences_fingerprint(strided_windows(text, 1, 5, 3)));
}

TEST(StridedWindows, WithoutBosTheFirstTokenIsContext) {
  const std::vector<int> text = {10, 11, 12, 13, 14, 15};
  const std::vector<ScoredSequence> w = strided_windows(text, -1, 4, 3);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].tokens, (std::vector<int>{10, 11, 12, 13}));
  EXPECT_EQ(w[0].scored, (LossMask{0, 1, 1, 1}));
  EXPECT_EQ(w[1].tokens, (std::vector<int>{13, 14, 15}));
  EXPECT_EQ(w[1].scored, (LossMask{0, 1, 1}));
}

TEST(StridedWindows, RejectsAStrideThatLeavesGaps) {
  const std::vector<int> text = {10, 11, 12};
  EXPECT_THROW(strided_windows(text, 1, 4, 4), Error);
  EXPECT_THROW(strided_windows(text, 1, 4, 0), Error);
  EXPECT_THROW(strided_windows(text, 1, 1, 1), Error);
}

TEST(LineSequences, BosFirstEveryOtherTokenScored) {
  const std::vector<std::vector<int>> lines = {{5, 6, 7}, {}, {8}};
  const std::vector<ScoredSequence> s = line_sequences(lines, 1);
  ASSERT_EQ(s.size(), 2u);  // the empty line has nothing to score
  EXPECT_EQ(s[0].tokens, (std::vector<int>{1, 5, 6, 7}));
  EXPECT_EQ(s[0].scored, (LossMask{0, 1, 1, 1}));
  EXPECT_EQ(s[1].tokens, (std::vector<int>{1, 8}));
  EXPECT_EQ(s[1].scored, (LossMask{0, 1}));
}

class Stories260K : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = require_model("stories260K.gguf");
    model_ = Model::load(path_);
    tokenizer_ = load_tokenizer(path_).release();
    reference_ = new RefModel(read_reference_model(path_));
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete reference_;
    model_.reset();
  }

  static std::vector<ScoredSequence> lines(const std::vector<std::string>& texts) {
    std::vector<std::vector<int>> tokens;
    for (const std::string& t : texts) tokens.push_back(tokenizer_->encode(t, false, false));
    return line_sequences(tokens, tokenizer_->bos_id());
  }

  // The mean NLL of the scored tokens, from the double-precision reference forward of each
  // sequence alone: -log_softmax(logits after token t - 1)[token t].
  static double reference_mean_nll(const std::vector<ScoredSequence>& sequences) {
    double sum = 0;
    int n = 0;
    for (const ScoredSequence& s : sequences) {
      const Rows logits = reference_logits(*reference_, s.tokens);
      for (std::size_t t = 1; t < s.tokens.size(); ++t) {
        if (!s.scored[t]) continue;
        const std::vector<double>& z = logits[t - 1];
        const double max = *std::max_element(z.begin(), z.end());
        double sum_exp = 0;
        for (double v : z) sum_exp += std::exp(v - max);
        sum += max + std::log(sum_exp) - z[s.tokens[t]];
        ++n;
      }
    }
    return sum / n;
  }

  static PerplexityResult score(const std::vector<ScoredSequence>& sequences, int batch,
                                const std::function<void(const ScoredToken&)>& observer = {}) {
    Session session(model_, batch);
    return score_sequences(session, sequences, observer);
  }

  static inline std::string path_;
  static inline std::shared_ptr<const Model> model_;
  static inline Tokenizer* tokenizer_ = nullptr;
  static inline RefModel* reference_ = nullptr;
};

const std::vector<std::string> kLines = {
    "Once upon a time, there was a little girl named Lily.",
    "She liked to play in the park with her dog.", "One day, the sun was hot.",
    "Tom saw a big red ball and he wanted to play with it.", "The end."};

// Each line scored from BOS on (Hugging Face's per-example evaluation), run alone or left-padded
// into batches: the perplexity of the double-precision reference.
TEST_F(Stories260K, LinesPerplexityEqualsTheDoubleReference) {
  const std::vector<ScoredSequence> sequences = lines(kLines);
  const double want = std::exp(reference_mean_nll(sequences));
  for (int batch : {1, 2, 5}) {
    const PerplexityResult r = score(sequences, batch);
    EXPECT_NEAR(r.perplexity, want, 1e-6 * want) << "batch " << batch;
    std::printf("[ measured ] batch %d: perplexity %.9g, reference %.9g, relative error %.2g\n",
                batch, r.perplexity, want, std::abs(r.perplexity - want) / want);
  }
}

// A mask that leaves out the BOS prediction, context positions and (in the batch) the padding:
// only the positions it scores count.
TEST_F(Stories260K, OnlyTheScoredPositionsCount) {
  std::vector<ScoredSequence> sequences = lines(kLines);
  for (ScoredSequence& s : sequences)
    for (std::size_t t = 0; t < s.scored.size(); ++t) s.scored[t] = t >= 4 && t % 3 != 0;
  const double want = reference_mean_nll(sequences);
  const PerplexityResult r = score(sequences, 3);
  EXPECT_NEAR(r.mean_nll, want, 1e-6 * want);
  std::int64_t scored = 0;
  for (const ScoredSequence& s : sequences)
    scored += std::count(s.scored.begin(), s.scored.end(), 1);
  EXPECT_EQ(r.tokens_scored, scored);
  // Scoring every position instead gives another loss: the mask is what selects them.
  EXPECT_GT(std::abs(score(lines(kLines), 3).mean_nll - want), 1e-3);
}

TEST_F(Stories260K, StridedWindowsEqualTheDoubleReference) {
  std::string text;
  for (const std::string& line : kLines) text += line + " ";
  const std::vector<int> tokens = tokenizer_->encode(text, false, false);
  const std::vector<ScoredSequence> windows = strided_windows(tokens, tokenizer_->bos_id(), 24, 9);
  ASSERT_GE(windows.size(), 4u);
  ASSERT_LT(windows.back().tokens.size(), 24u) << "the last window should need padding";
  const PerplexityResult r = score(windows, 4);
  EXPECT_EQ(r.tokens_scored, static_cast<std::int64_t>(tokens.size()));
  const double want = reference_mean_nll(windows);
  EXPECT_NEAR(r.mean_nll, want, 1e-6 * want);
}

// The same windows alone and in padded batches of every size: the same NLLs.
TEST_F(Stories260K, BatchedEqualsUnbatched) {
  std::string text;
  for (const std::string& line : kLines) text += line + "\n";
  const std::vector<int> tokens = tokenizer_->encode(text, false, false);
  const std::vector<ScoredSequence> windows = strided_windows(tokens, tokenizer_->bos_id(), 40, 13);
  std::vector<double> alone;
  const PerplexityResult one =
      score(windows, 1, [&](const ScoredToken& t) { alone.push_back(t.nll); });
  for (int batch : {2, 3, static_cast<int>(windows.size())}) {
    std::vector<double> batched(alone.size());
    const PerplexityResult r =
        score(windows, batch, [&](const ScoredToken& t) { batched.at(t.index) = t.nll; });
    EXPECT_NEAR(r.mean_nll, one.mean_nll, 1e-9 * one.mean_nll) << "batch " << batch;
    for (std::size_t i = 0; i < alone.size(); ++i)
      ASSERT_NEAR(batched[i], alone[i], 1e-9 * alone[i]) << "batch " << batch << " token " << i;
  }
}

TEST_F(Stories260K, RejectsWhatItCannotScore) {
  const std::vector<ScoredSequence> nothing = {{{1, 5, 6}, {0, 0, 0}}};
  EXPECT_THROW(score(nothing, 1), Error);
  const std::vector<ScoredSequence> first_scored = {{{1, 5, 6}, {1, 1, 1}}};
  EXPECT_THROW(score(first_scored, 1), Error);
  const std::vector<ScoredSequence> short_mask = {{{1, 5, 6}, {0, 1}}};
  EXPECT_THROW(score(short_mask, 1), Error);
  const std::vector<ScoredSequence> too_long = {{std::vector<int>(model_->config().seq_len + 1, 5),
                                                 LossMask(model_->config().seq_len + 1, 1)}};
  EXPECT_THROW(score(too_long, 1), Error);
}

// KL(p || q) by its definition over two tokens of a vocabulary of 3.
TEST(KlDivergence, MatchesTheDefinition) {
  const std::vector<double> p = {0.5, 0.3, 0.2}, q = {0.2, 0.5, 0.3};
  std::vector<float> log_p(3);
  std::vector<double> log_q(3);
  double want = 0;
  for (int j = 0; j < 3; ++j) {
    log_p[j] = static_cast<float>(std::log(p[j]));
    log_q[j] = std::log(q[j]);
    want += p[j] * (std::log(p[j]) - std::log(q[j]));
  }
  KlDivergence kl;
  kl.add(log_p, log_q);  // top choices differ
  const std::vector<double> same(log_p.begin(), log_p.end());
  kl.add(log_p, same);  // the same distribution: 0, and they agree
  const KlDivergenceResult r = kl.result();
  EXPECT_EQ(r.tokens, 2);
  EXPECT_NEAR(r.mean, want / 2, 1e-6);
  EXPECT_NEAR(r.max, want, 1e-6);
  EXPECT_NEAR(r.p99, want, 1e-6);
  EXPECT_DOUBLE_EQ(r.top1_agreement, 0.5);
  EXPECT_THROW(KlDivergence().result(), Error);
}

class LogProbBase : public Stories260K {
 protected:
  void TearDown() override { std::filesystem::remove(file_); }

  // Writes the log-probabilities of `model`'s scored tokens to file_.
  void write_base(const std::shared_ptr<const Model>& model,
                  const std::vector<ScoredSequence>& sequences) {
    std::int64_t total = 0;
    for (const ScoredSequence& s : sequences)
      total += std::count(s.scored.begin(), s.scored.end(), 1);
    LogProbFileWriter writer(file_, model->config().vocab_size, total,
                             sequences_fingerprint(sequences));
    Session session(model, 2);
    score_sequences(session, sequences,
                    [&](const ScoredToken& t) { writer.write(t.index, t.target, t.log_probs); });
    writer.close();
  }

  KlDivergenceResult compare(const std::shared_ptr<const Model>& model,
                             const std::vector<ScoredSequence>& sequences, int batch) {
    LogProbFile base(file_);
    KlDivergence kl;
    Session session(model, batch);
    score_sequences(session, sequences, [&](const ScoredToken& t) {
      EXPECT_EQ(base.target(t.index), t.target);
      kl.add(base.log_probs(t.index), t.log_probs);
    });
    EXPECT_EQ(base.tokens(), kl.result().tokens);
    EXPECT_EQ(base.fingerprint(), sequences_fingerprint(sequences));
    return kl.result();
  }

  const std::string file_ =
      (std::filesystem::temp_directory_path() / ("engine_logprobs_" + std::to_string(::getpid())))
          .string();
};

TEST_F(LogProbBase, AModelAgainstItsOwnBaseHasNoDivergence) {
  const std::vector<ScoredSequence> sequences = lines(kLines);
  write_base(model_, sequences);
  const KlDivergenceResult r = compare(model_, sequences, 3);  // another batch size
  EXPECT_EQ(r.mean, 0.0);
  EXPECT_EQ(r.max, 0.0);
  EXPECT_EQ(r.top1_agreement, 1.0);
}

TEST_F(LogProbBase, Q8DivergesFromF32ALittle) {
  const std::vector<ScoredSequence> sequences = lines(kLines);
  write_base(model_, sequences);
  const KlDivergenceResult r = compare(Model::load(path_, DType::q8_0), sequences, 1);
  EXPECT_GT(r.mean, 0.0);
  EXPECT_LT(r.mean, 0.01);  // q8_0 keeps the distributions close
  EXPECT_GE(r.p99, r.mean);
  EXPECT_GT(r.top1_agreement, 0.8);
  std::printf("[ measured ] q8_0 vs f32 on stories260K: mean KL %.3g, p99 %.3g, top-1 %.3f\n",
              r.mean, r.p99, r.top1_agreement);
}

TEST_F(LogProbBase, RejectsAFileCutShort) {
  write_base(model_, lines(kLines));
  std::filesystem::resize_file(file_, std::filesystem::file_size(file_) - 1);
  EXPECT_THROW(LogProbFile{file_}, Error);
  std::filesystem::resize_file(file_, 10);
  EXPECT_THROW(LogProbFile{file_}, Error);
}

}  // namespace
}  // namespace engine::test
