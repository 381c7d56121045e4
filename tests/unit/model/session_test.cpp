// The forward pass: a prompt run as one block equals feeding it one token at a time.
#include "engine/model/session.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/error.hpp"
#include "engine/ops/isa.hpp"
#include "model/weights.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

const std::vector<int> kPrompt20 = {1,   403, 407, 261, 378, 429, 287, 411, 374, 290,
                                    325, 311, 267, 282, 407, 261, 300, 330, 286, 395};

// The reference path: the block's linear layers use the same GEMV kernels as single tokens.
class ReferencePath : public ::testing::Test {
 protected:
  const SessionOptions gemv_{.block_path = BlockPath::gemv};
};

TEST_F(ReferencePath, BlockPrefillEqualsTokenByToken) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  const int vocab = model->config().vocab_size;
  Session block(model, gemv_), stepwise(model, gemv_);
  const auto all = block.forward(kPrompt20, /*all_logits=*/true);
  const std::vector<float> block_logits(all.begin(), all.end());
  ASSERT_EQ(block_logits.size(), kPrompt20.size() * vocab);
  float max_diff = 0;
  for (std::size_t t = 0; t < kPrompt20.size(); ++t) {
    const auto step = stepwise.forward(std::span<const int>(&kPrompt20[t], 1));
    for (int j = 0; j < vocab; ++j)
      max_diff = std::max(max_diff, std::abs(step[j] - block_logits[t * vocab + j]));
  }
  EXPECT_LE(max_diff, 1e-5f);
  EXPECT_EQ(block.position(), 20);
  EXPECT_EQ(stepwise.position(), 20);
}

// Which matrices get our panel copy at load, stated from the kernels we ship rather than
// asked of the loader: bf16 on every ISA, f32 and f16 from AVX-512 on, Q8_0 from AVX-512 VNNI
// on.
bool has_panel_kernel(DType type, Isa isa) {
  switch (type) {
    case DType::bf16:
      return true;
    case DType::f32:
    case DType::f16:
      return isa >= Isa::avx512;
    case DType::q8_0:
      return isa >= Isa::avx512_vnni_bf16;
    default:
      return false;
  }
}

// The block path (used for blocks this large: the linear layers on the copies packed at load,
// attention on the block kernels) sums in another order: the same logits within 1e-4 (f32).
// With bf16 weights both paths round each layer's input to bf16, and the other order flips some
// roundings: measured 0.077 (logits up to ~10; a wrong layout of the packed copy gives errors of
// the logits' size). With Q8_0 weights on panels both paths quantise each row of a layer's input
// the same way and give the same products (PanelMatmulPerIsa.Q8_0PanelsEqualTheDecodeKernel);
// attention and the f32 matrices run in another order, which flips some roundings of the next
// layers' quantisation: measured 0.25. Without panels a Q8_0 block runs on rows expanded to f32
// (a chunk at a time, no copy) times f32 activations, the reference on quantised activations:
// measured 0.46, the q8 accuracy difference itself (Bf16AndQ8WeightsStayCloseToF32). f32 and
// f16 on AVX-512, Q8_0 on AVX-512 VNNI and bf16 everywhere run on our panels, f32 otherwise on
// oneDNN's layout.
void expect_block_path_equals_reference_path(DType weight_type, float tolerance) {
  const auto model = Model::load(test::require_model("stories260K.bin"), weight_type);
  // Every layer's copies share one buffer per model: each part starts on a cache line (the
  // kernels and oneDNN's blocked layout take 64-byte aligned weights).
  const auto aligned = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; };
  for (const LayerWeights& layer : model->weights().layers)
    for (const Matrix* m : layer.matrices()) {
      // Which copy a matrix has, by its type (w2, 172 wide, stays f32 when the others are Q8_0).
      const bool panels = has_panel_kernel(m->dtype, active_isa());
      EXPECT_EQ(m->panels != nullptr, panels) << "panels";
      // Without panels Q8_0 and f16 run oneDNN on rows expanded a chunk at a time, no copy.
      EXPECT_EQ(m->packed != nullptr, !panels && m->dtype != DType::q8_0 && m->dtype != DType::f16)
          << "oneDNN's copy";
      EXPECT_TRUE(aligned(m->panels) && aligned(m->packed)) << "packed parts on cache lines";
      EXPECT_TRUE(weight_type == DType::f32 || aligned(m->data)) << "converted parts too";
    }
  std::vector<int> prompt(128);
  for (std::size_t i = 0; i < prompt.size(); ++i) prompt[i] = kPrompt20[i % kPrompt20.size()];
  const auto logits = [&](BlockPath path) {
    Session s(model, {.block_path = path});
    const auto all = s.forward(prompt, /*all_logits=*/true);
    return std::vector<float>(all.begin(), all.end());
  };
  const std::vector<float> fast = logits(BlockPath::packed);
  const std::vector<float> reference = logits(BlockPath::gemv);
  ASSERT_EQ(fast.size(), reference.size());
  float max_diff = 0;
  for (std::size_t j = 0; j < fast.size(); ++j)
    max_diff = std::max(max_diff, std::abs(fast[j] - reference[j]));
  EXPECT_LE(max_diff, tolerance);
  EXPECT_GT(max_diff, 0.0f) << "the block path was not used";
}

TEST(Session, BlockPathEqualsReferencePath) {
  expect_block_path_equals_reference_path(DType::f32, 1e-4f);
}

// f16 weights widen exactly on both paths, against the same f32 activations: as close as f32.
TEST(Session, F16BlockPathEqualsReferencePath) {
  expect_block_path_equals_reference_path(DType::f16, 1e-4f);
}

TEST(Session, Bf16BlockPathEqualsReferencePath) {
  expect_block_path_equals_reference_path(DType::bf16, 0.2f);
}

TEST(Session, Q8BlockPathEqualsReferencePath) {
  expect_block_path_equals_reference_path(
      DType::q8_0, has_panel_kernel(DType::q8_0, active_isa()) ? 0.3f : 0.6f);
}

TEST_F(ReferencePath, BlocksAfterCachedTokensEqualOneBlock) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  Session one(model, gemv_), split(model, gemv_);
  const auto whole = one.forward(kPrompt20);
  const std::vector<float> want(whole.begin(), whole.end());
  split.forward(std::span(kPrompt20).first(7));
  const auto got = split.forward(std::span(kPrompt20).subspan(7));
  for (std::size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(got[j], want[j], 1e-5f);
}

// Converted weights stay close to f32: the bounds documented in the README.
TEST(Session, Bf16AndQ8WeightsStayCloseToF32) {
  const auto f32 = Model::load(test::require_model("stories260K.bin"));
  Session reference(f32);
  const auto ref = reference.forward(kPrompt20, true);
  const std::vector<float> want(ref.begin(), ref.end());
  for (const auto& [dtype, bound] : {std::pair{DType::bf16, 0.4f}, std::pair{DType::q8_0, 0.75f}}) {
    const auto model = Model::load(test::require_model("stories260K.bin"), dtype);
    Session s(model);
    const auto got = s.forward(kPrompt20, true);
    float max_diff = 0;
    for (std::size_t j = 0; j < want.size(); ++j)
      max_diff = std::max(max_diff, std::abs(got[j] - want[j]));
    EXPECT_LE(max_diff, bound) << dtype_name(dtype);
    EXPECT_GT(max_diff, 0.0f) << dtype_name(dtype) << ": weights were not converted";
    EXPECT_LT(model->weight_bytes_per_token(), f32->weight_bytes_per_token());
  }
}

// What the attention observer sees is the causal structure: each query row sums to 1 over the
// keys it may see and is exactly 0 on the future.
TEST(Session, AttentionObserverSeesMaskedProbabilities) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  Session s(model);
  int layers_seen = 0;
  s.set_attention_observer(
      [&](int sequence, int layer, const float* probs, const Mask& mask, int n_heads) {
        EXPECT_EQ(sequence, 0);
        EXPECT_EQ(layer, layers_seen++);
        const int T = mask.rows(), n_keys = mask.cols();
        ASSERT_EQ(T, 20);
        ASSERT_EQ(n_keys, 20);
        for (int t = 0; t < T; ++t)
          for (int j = 0; j < n_keys; ++j)
            ASSERT_EQ(mask.at(t, j) != 0, j <= t) << "causal mask, query " << t << ", key " << j;
        for (int t = 0; t < T; ++t)
          for (int h = 0; h < n_heads; ++h) {
            const float* row = probs + (static_cast<std::size_t>(t) * n_heads + h) * n_keys;
            double sum = 0;
            for (int j = 0; j < n_keys; ++j) {
              if (j > t) {
                EXPECT_EQ(row[j], 0.0f) << "query " << t << " saw the future key " << j;
              }
              sum += row[j];
            }
            EXPECT_NEAR(sum, 1.0, 1e-5);
          }
      });
  s.forward(kPrompt20);
  EXPECT_EQ(layers_seen, model->config().n_layers);
}

// In a batch the observer sees every sequence, each with its own mask: a left-padded one's
// padded rows and columns are masked, and its probabilities are 0 exactly there.
TEST(Session, AttentionObserverSeesEverySequenceOfABatch) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  Session s(model, 2);
  constexpr int T = 6, kPadding = 2;
  s.set_padding(1, kPadding);
  std::vector<int> block(kPrompt20.begin(), kPrompt20.begin() + T);
  block.insert(block.end(), kPadding, 0);
  block.insert(block.end(), kPrompt20.begin(), kPrompt20.begin() + T - kPadding);
  const std::vector<int> sequences = {0, 1};
  std::vector<int> calls(2, 0);
  s.set_attention_observer(
      [&](int sequence, int, const float* probs, const Mask& mask, int n_heads) {
        ASSERT_TRUE(sequence == 0 || sequence == 1);
        ++calls[sequence];
        // Causal; in the padded sequence the padding positions neither see nor are seen.
        const int first = sequence == 0 ? 0 : kPadding;
        ASSERT_EQ(mask.rows(), T);
        ASSERT_EQ(mask.cols(), T);
        for (int t = 0; t < T; ++t)
          for (int j = 0; j < T; ++j)
            ASSERT_EQ(mask.at(t, j) != 0, j <= t && t >= first && j >= first)
                << "sequence " << sequence << ", query " << t << ", key " << j;
        for (int t = 0; t < T; ++t)
          for (int h = 0; h < n_heads; ++h)
            for (int j = 0; j < T; ++j)
              if (!mask.at(t, j)) {
                EXPECT_EQ(probs[(static_cast<std::size_t>(t) * n_heads + h) * T + j], 0.0f);
              }
      });
  s.forward_batch(block, sequences);
  EXPECT_EQ(calls, std::vector<int>(2, model->config().n_layers));
}

// A block large enough for the products (block_attention) shows the observer the same
// probabilities as the row-wise path.
TEST(Session, AttentionObserverSeesTheBlockPathsProbabilities) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  std::vector<int> prompt(128);
  for (std::size_t i = 0; i < prompt.size(); ++i) prompt[i] = kPrompt20[i % kPrompt20.size()];
  const auto observed = [&](BlockPath path) {
    std::vector<std::vector<float>> layers;
    Session s(model, {.block_path = path});
    s.set_attention_observer([&](int, int, const float* probs, const Mask& mask, int n_heads) {
      layers.emplace_back(probs,
                          probs + static_cast<std::size_t>(mask.rows()) * n_heads * mask.cols());
    });
    s.forward(prompt);
    return layers;
  };
  const auto block = observed(BlockPath::packed);
  const auto rows = observed(BlockPath::gemv);
  ASSERT_EQ(block.size(), static_cast<std::size_t>(model->config().n_layers));
  ASSERT_EQ(rows.size(), block.size());
  for (std::size_t l = 0; l < block.size(); ++l) {
    ASSERT_EQ(block[l].size(), rows[l].size());
    ASSERT_EQ(block[l].size(), prompt.size() * model->config().n_heads * prompt.size());
    for (std::size_t j = 0; j < block[l].size(); ++j) {
      const std::size_t query = j / (model->config().n_heads * prompt.size());
      const std::size_t key = j % prompt.size();
      if (key > query) {
        ASSERT_EQ(block[l][j], 0.0f) << "layer " << l << " query " << query << " key " << key;
      }
      ASSERT_NEAR(block[l][j], rows[l][j], 1e-4f) << "layer " << l << " at " << j;
    }
  }
}

TEST(Session, RejectsWhatDoesNotFit) {
  const auto model = Model::load(test::require_model("stories260K.bin"));
  Session s(model);
  EXPECT_THROW(s.forward({}), Error);
  const std::vector<int> bad = {1, 512};
  EXPECT_THROW(s.forward(bad), Error);
  const std::vector<int> too_long(513, 5);
  try {
    s.forward(too_long);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::context_full);
  }
  EXPECT_EQ(s.position(), 0);
}

}  // namespace
}  // namespace engine
