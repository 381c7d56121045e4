// The per-tensor types of engine convert's file types (model/quant_mix.hpp) against the files
// llama.cpp's own quantiser wrote (models/quant/storyvocab256-lq-*.gguf): every tensor of each
// gets the type llama.cpp gave it, and general.file_type is llama.cpp's number.
#include <gtest/gtest.h>

#include <string>

#include "engine/error.hpp"
#include "format/gguf_file.hpp"
#include "model/quant_mix.hpp"
#include "ops/weight_format.hpp"
#include "test_paths.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

class QuantMix : public ::testing::TestWithParam<const char*> {};

TEST_P(QuantMix, TensorTypesAreLlamaCppsMix) {
  const std::string path =
      test::require_model(std::string("quant/storyvocab256-lq-") + GetParam() + ".gguf");
  const MappedFile mapped(path);
  const GgufFile gguf({mapped.data(), mapped.size()}, path);
  const FileType& type = parse_file_type(GetParam());
  EXPECT_EQ(gguf.get<std::uint64_t>("general.file_type"), type.llama_ftype);
  const int n_layers = static_cast<int>(gguf.get<std::uint64_t>("llama.block_count"));
  const int kv_group = static_cast<int>(gguf.get<std::uint64_t>("llama.attention.head_count") /
                                        gguf.get<std::uint64_t>("llama.attention.head_count_kv"));
  const bool tied = gguf.find_tensor("output.weight") == nullptr;
  int mixed = 0;  // matrices not in the base type
  for (const GgufTensorInfo& t : gguf.tensors()) {
    if (t.dims.size() == 1) {  // norms: llama.cpp writes every vector f32 (GGML_TYPE_F32 = 0)
      EXPECT_EQ(t.type, 0u) << t.name;
      continue;
    }
    TensorPlace place{
        .name = t.name, .n_layers = n_layers, .kv_group = kv_group, .cols = t.dims[0]};
    if (t.name.starts_with("blk.")) place.layer = std::stoi(std::string(t.name.substr(4)));
    place.classifier = t.name == "output.weight" || (tied && t.name == "token_embd.weight");
    const DType ours = tensor_type(type, place);
    EXPECT_EQ(weight_format(ours).ggml_type, t.type) << GetParam() << " " << t.name;
    mixed += ours != type.base;
  }
  // Every mix but the pure Q6_K and Q8_0 files has at least a Q6_K classifier.
  if (type.base != DType::q6_k && type.base != DType::q8_0) {
    EXPECT_GT(mixed, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(LlamaCppFiles, QuantMix,
                         ::testing::Values("q2_k", "q3_k_m", "q4_0", "q4_1", "q4_k_m", "q5_0",
                                           "q5_1", "q5_k_m", "q6_k", "q8_0"));

// Rows that are not whole blocks: llama.cpp's fallbacks (Q4_K -> Q5_0, Q6_K -> Q8_0, then F16),
// f32 where llama.cpp refuses the file, an error naming the tensor where its fallback is IQ4_NL.
TEST(QuantMixRule, RowsNotWholeBlocksFallBack) {
  const TensorPlace q{.name = "blk.0.attn_q.weight", .layer = 0, .n_layers = 8, .cols = 96};
  EXPECT_EQ(tensor_type(parse_file_type("q4_k_m"), q), DType::q5_0);
  EXPECT_EQ(tensor_type(parse_file_type("q5_k_m"), q), DType::q5_1);
  EXPECT_EQ(tensor_type(parse_file_type("q6_k"), q), DType::q8_0);
  TensorPlace odd = q;
  odd.cols = 172;  // not whole 32-value blocks either
  EXPECT_EQ(tensor_type(parse_file_type("q4_k_m"), odd), DType::f16);
  EXPECT_EQ(tensor_type(parse_file_type("q4_0"), odd), DType::f32);
  EXPECT_EQ(tensor_type(parse_file_type("f16"), odd), DType::f16);
  try {
    tensor_type(parse_file_type("q2_k"), q);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blk.0.attn_q.weight"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_file_type("q4_k_x"), Error);
  EXPECT_EQ(&parse_file_type("Q4_K_M"), &parse_file_type("q4_k_m"));
}

// Q4_K_M's layers with more bits on a 32-layer model, as llama.cpp's use_more_bits picks them:
// layers 0-3, 28-31 and 6, 9, ..., 27.
TEST(QuantMixRule, Q4KMRaisesAttnVAndFfnDownInChosenLayers) {
  const FileType& type = parse_file_type("q4_k_m");
  std::string raised;
  for (int l = 0; l < 32; ++l) {
    const std::string name = "blk." + std::to_string(l) + ".ffn_down.weight";
    const DType t = tensor_type(type, {.name = name, .layer = l, .n_layers = 32, .cols = 4096});
    if (t == DType::q6_k) raised += std::to_string(l) + " ";
  }
  EXPECT_EQ(raised, "0 1 2 3 6 9 12 15 18 21 24 27 28 29 30 31 ");
}

}  // namespace
}  // namespace engine
