// engine convert --type <mix> on models/quant/storyvocab256-f32.gguf against llama.cpp's
// quantiser on the same file (storyvocab256-lq-<mix>.gguf): the same tensor types, tensor by
// tensor; logits as close to the f32 model's (reference/storyvocab256-f32.json, llama.cpp's run)
// as llama.cpp's file gives, both run by the engine; and the converted tensors read back as the
// values the quantiser's blocks decode to in memory.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/model/model.hpp"
#include "engine/model/session.hpp"
#include "format/gguf_file.hpp"
#include "model/weights.hpp"
#include "ops/matmul.hpp"
#include "ops/weight_format.hpp"
#include "test_paths.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

namespace fs = std::filesystem;

// storyvocab256-f32.gguf converted by the engine to `type`, once per test process; the files
// go when the process ends.
std::string converted(const std::string& type) {
  struct Files {
    std::vector<fs::path> paths;
    ~Files() {
      for (const fs::path& p : paths) fs::remove(p);
    }
  };
  static Files files;
  const fs::path out = fs::temp_directory_path() /
                       ("converted_" + std::to_string(::getpid()) + "_" + type + ".gguf");
  if (!fs::exists(out)) {
    const std::string command = std::string(ENGINE_TEST_CLI) + " convert '" +
                                test::require_model("quant/storyvocab256-f32.gguf") + "' -o '" +
                                out.string() + "' --type " + type + " --log-level warn";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    files.paths.push_back(out);
  }
  return out.string();
}

struct F32Reference {
  std::vector<int> tokens;
  std::vector<float> logits;  // (tokens, vocab)
};

F32Reference f32_reference() {
  std::ifstream in(test::require_model("quant/reference/storyvocab256-f32.json"));
  const nlohmann::json j = nlohmann::json::parse(in);
  F32Reference ref{j.at("tokens").get<std::vector<int>>(), {}};
  for (const auto& row : j.at("exact_logits")) {
    const auto values = row.get<std::vector<float>>();
    ref.logits.insert(ref.logits.end(), values.begin(), values.end());
  }
  return ref;
}

// The RMS of the model's logits (its matrices converted to weight_type at load) minus the f32
// model's over the reference prompt.
double logit_rmse(const std::string& path, const F32Reference& ref,
                  DType weight_type = DType::f32) {
  Session session(Model::load(path, weight_type));
  const auto logits = session.forward(ref.tokens, /*all_logits=*/true);
  EXPECT_EQ(logits.size(), ref.logits.size());
  double sum = 0;
  for (std::size_t i = 0; i < ref.logits.size(); ++i)
    sum += (logits[i] - ref.logits[i]) * static_cast<double>(logits[i] - ref.logits[i]);
  return std::sqrt(sum / static_cast<double>(ref.logits.size()));
}

class ConvertedFiles : public ::testing::TestWithParam<const char*> {};

TEST_P(ConvertedFiles, HaveLlamaCppsMixAndLogitsAsClose) {
  const std::string ours_path = converted(GetParam());
  const std::string theirs_path =
      test::require_model(std::string("quant/storyvocab256-lq-") + GetParam() + ".gguf");
  const MappedFile ours_file(ours_path), theirs_file(theirs_path);
  const GgufFile ours({ours_file.data(), ours_file.size()}, ours_path);
  const GgufFile theirs({theirs_file.data(), theirs_file.size()}, theirs_path);
  EXPECT_EQ(ours.get<std::uint64_t>("general.file_type"),
            theirs.get<std::uint64_t>("general.file_type"));
  ASSERT_EQ(ours.tensors().size(), theirs.tensors().size());
  for (const GgufTensorInfo& t : theirs.tensors()) {
    const GgufTensorInfo* mine = ours.find_tensor(t.name);
    ASSERT_NE(mine, nullptr) << t.name;
    EXPECT_EQ(mine->type, t.type) << t.name;
    EXPECT_EQ(mine->dims, t.dims) << t.name;
  }
  const F32Reference ref = f32_reference();
  const double ours_error = logit_rmse(ours_path, ref), theirs_error = logit_rmse(theirs_path, ref);
  std::printf("%s: logit RMSE vs f32, engine-quantised %.5f, llama.cpp-quantised %.5f\n",
              GetParam(), ours_error, theirs_error);
  RecordProperty("engine_logit_rmse", std::to_string(ours_error));
  RecordProperty("llamacpp_logit_rmse", std::to_string(theirs_error));
  EXPECT_LT(ours_error, 1.1 * theirs_error) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Mixes, ConvertedFiles,
                         ::testing::Values("q2_k", "q3_k_m", "q4_0", "q4_1", "q4_k_m", "q5_0",
                                           "q5_1", "q5_k_m", "q6_k", "q8_0"));

// --weight-type converts the f32 file at load with the same quantisers (the embedding stays f32,
// the classifier takes the type too): logits as close to f32 as llama.cpp's file of that type.
TEST(ConvertedFiles, WeightTypesAtLoadAreAsCloseAsLlamaCppsFiles) {
  const F32Reference ref = f32_reference();
  const std::string f32 = test::require_model("quant/storyvocab256-f32.gguf");
  for (const auto& [type, file] : {std::pair{DType::q4_0, "q4_0"}, std::pair{DType::q4_k, "q4_k_m"},
                                   std::pair{DType::q5_k, "q5_k_m"}, std::pair{DType::q6_k, "q6_k"},
                                   std::pair{DType::q8_0, "q8_0"}}) {
    const double ours = logit_rmse(f32, ref, type);
    const double theirs = logit_rmse(
        test::require_model(std::string("quant/storyvocab256-lq-") + file + ".gguf"), ref);
    std::printf("--weight-type %s: logit RMSE vs f32 %.5f, llama.cpp's %s file %.5f\n",
                dtype_name(type).data(), ours, file, theirs);
    EXPECT_LT(ours, 1.1 * theirs) << dtype_name(type);
  }
}

// Every `step`th row of `stored` reads back (the loader's exact dequantiser) as the same row of
// `source` quantised in memory to stored's type and decoded by its format.
void expect_rows_read_back_quantised(const Matrix& source, const Matrix& stored, int step) {
  const WeightFormat& f = weight_format(stored.dtype);
  const std::size_t cols = static_cast<std::size_t>(source.cols);
  std::vector<float> row(cols), want(cols), got(cols);
  std::vector<std::uint8_t> blocks(file_row_bytes(f, cols)), loaded(f.loaded_bytes(1, cols));
  for (int r = 0; r < source.rows; r += step) {
    matrix_row(source, r, row.data());
    f.quantize_row(row.data(), blocks.data(), cols);
    f.store_rows(blocks.data(), 0, 1, 1, cols, loaded.data());  // as a load lays it out
    f.load_rows(Matrix{loaded.data(), f.dtype, 1, source.cols}, 0, 1, want.data());
    matrix_row(stored, r, got.data());
    ASSERT_EQ(got, want) << dtype_name(source.dtype) << " as " << f.name << " row " << r;
  }
}

// Each converted matrix reads back (the loader's exact dequantiser) as the f32 matrix's rows
// quantised in memory and decoded by their format: the file holds the quantiser's blocks.
TEST(ConvertedFiles, TensorsReadBackAsTheQuantisedRows) {
  const auto f32 = Model::load(test::require_model("quant/storyvocab256-f32.gguf"));
  const auto q4_k_m = Model::load(converted("q4_k_m"));
  const LayerWeights &from = f32->weights().layers[1], &to = q4_k_m->weights().layers[1];
  for (const auto& [source, stored] : {std::pair{&from.wq, &to.wq}, std::pair{&from.wv, &to.wv},
                                       std::pair{&f32->weights().wcls, &q4_k_m->weights().wcls}})
    expect_rows_read_back_quantised(*source, *stored, 37);
  EXPECT_EQ(to.wv.dtype, DType::q6_k);  // layer 1 of 2: more bits
  EXPECT_EQ(to.wq.dtype, DType::q4_k);
}

// --weight-type converts f16 and bf16 files at load as it does f32 ones: each matrix reads back
// as the file's values (widened exactly) quantised to the type and decoded; the classifier too.
// A file already quantised keeps its types.
TEST(ConvertedFiles, WeightTypesAtLoadConvertHalfFiles) {
  for (const char* half : {"f16", "bf16"}) {
    const auto file = Model::load(converted(half));
    for (const DType type : {DType::q8_0, DType::q4_k, DType::bf16, DType::f16}) {
      if (dtype_name(type) == half) continue;
      const auto loaded = Model::load(converted(half), type);
      const LayerWeights &from = file->weights().layers[1], &to = loaded->weights().layers[1];
      for (const auto& [source, stored] :
           {std::pair{&from.wq, &to.wq}, std::pair{&from.w1, &to.w1},
            std::pair{&file->weights().wcls, &loaded->weights().wcls}}) {
        ASSERT_EQ(source->dtype, half == std::string("f16") ? DType::f16 : DType::bf16);
        ASSERT_EQ(stored->dtype, type) << half;
        expect_rows_read_back_quantised(*source, *stored, 29);
      }
    }
  }
  const auto q8 = Model::load(converted("q8_0"), DType::q4_0);
  EXPECT_EQ(q8->weights().layers[1].wq.dtype, DType::q8_0);
  EXPECT_EQ(q8->weights().wcls.dtype, DType::q8_0);
}

}  // namespace
}  // namespace engine
