// One copy of the weights: a loaded model holds each matrix once, in the layout both its decode
// and its prompt-block kernels read (docs/design.md, "Memory: one copy of the weights"). The
// buffers a load writes stay within 1.15 x the bytes of the file's tensors, for f32, f16, bf16,
// Q8_0 and the 4- and 6-bit files; a second copy (2 x) or matrices expanded to f32 would not.
#include <gtest/gtest.h>

#include <string>

#include "cli/scratch_dir.hpp"
#include "engine/convert.hpp"
#include "engine/ops/isa.hpp"
#include "format/gguf_file.hpp"
#include "model/model_impl.hpp"
#include "ops/panel_matmul.hpp"
#include "test_paths.hpp"
#include "util/mapped_file.hpp"

namespace engine::test {
namespace {

// The bytes of every tensor of a GGUF file, as its tensor infos give them.
std::uint64_t tensor_bytes(const std::string& path) {
  const MappedFile file(path);
  const GgufFile gguf({file.data(), file.size()}, path);
  std::uint64_t bytes = 0;
  for (const GgufTensorInfo& t : gguf.tensors()) bytes += t.bytes;
  return bytes;
}

void expect_one_copy(const std::string& path) {
  const auto model = Model::load(path);
  const double weights = static_cast<double>(tensor_bytes(path));
  const double loaded = static_cast<double>(model->impl().loaded_bytes());
  EXPECT_LE(loaded, 1.15 * weights) << path;
  // Every matrix is there (only norms stay in the mapping).
  EXPECT_GE(loaded, 0.9 * weights) << path;
}

TEST(OneCopy, QuantisedFilesLoadOnce) {
  for (const char* type : {"q8_0", "q4_0", "q4_k_m", "q6_k"})
    expect_one_copy(require_model(std::string("quant/storyvocab256-lq-") + type + ".gguf"));
}

// f32 prompt blocks run on the decode panels with AVX-512 (elsewhere on oneDNN's packed copy).
TEST(OneCopy, F32AndF16FilesLoadOnce) {
  if (!prefers_panels(DType::f32, active_isa())) GTEST_SKIP() << "f32 without AVX-512 packs";
  const std::string f32 = require_model("quant/storyvocab256-f32.gguf");
  expect_one_copy(f32);
  expect_one_copy(require_model("stories260K.gguf"));
  const ScratchDir dir("one_copy");
  const std::string f16 = (dir.path() / "f16.gguf").string();
  const auto model = Model::load(f32);
  convert(*model, *load_tokenizer(f32), f16, {.type = "f16"});
  expect_one_copy(f16);
}

// bf16 decode and prompt blocks both run on its paired panels, on every ISA.
TEST(OneCopy, Bf16FilesLoadOnce) {
  const std::string f32 = require_model("quant/storyvocab256-f32.gguf");
  const ScratchDir dir("one_copy_bf16");
  const std::string bf16 = (dir.path() / "bf16.gguf").string();
  const auto model = Model::load(f32);
  convert(*model, *load_tokenizer(f32), bf16, {.type = "bf16"});
  expect_one_copy(bf16);
}

}  // namespace
}  // namespace engine::test
