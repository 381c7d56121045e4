// engine synth --arch: each family's file in llama.cpp's layout (architecture, keys, tensor
// names) loads and runs, matching the double-precision reference forward that reads the same
// file by tensor name; with -z VOCAB.gguf it carries the family's real vocabulary.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "engine/model/session.hpp"
#include "family_reference.hpp"
#include "format/gguf_file.hpp"
#include "test_paths.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

struct CliRun {
  int status = 0;
  std::string output;  // stdout and stderr
};

CliRun run_engine(const std::string& args) {
  FILE* pipe = ::popen((std::string(ENGINE_TEST_CLI) + " " + args + " 2>&1").c_str(), "r");
  CliRun run;
  if (!pipe) return {-1, "popen failed"};
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) run.output.append(buf, n);
  run.status = ::pclose(pipe);
  return run;
}

class FamilySynth : public ::testing::Test {
 protected:
  std::string path(const std::string& arch) const {
    return (std::filesystem::temp_directory_path() /
            ("synth_" + arch + "_" + std::to_string(::getpid()) + ".gguf"))
        .string();
  }
  void TearDown() override {
    for (const auto& file : written_) std::filesystem::remove(file);
  }
  // Writes the family's file with `vocabulary` embedded; returns its path.
  std::string synth(const std::string& arch, const std::string& vocabulary) {
    const std::string out = path(arch);
    written_.push_back(out);
    const CliRun run =
        run_engine("synth --arch " + arch + " --seed 3 -o " + out + " -z " + vocabulary);
    EXPECT_EQ(run.status, 0) << run.output;
    return out;
  }
  std::vector<std::string> written_;
};

TEST_F(FamilySynth, EveryFamilyLoadsAndMatchesTheReference) {
  const std::string vocabulary = test::require_model("tok512.model");
  const struct {
    const char* arch;
    Architecture architecture;
    const char* tensor;  // one the family's layout has and the others do not all have
  } families[] = {
      {"llama3", Architecture::llama, "rope_freqs.weight"},
      {"tinyllama", Architecture::llama, "output.weight"},
      {"smollm2", Architecture::llama, "blk.1.ffn_gate.weight"},
      {"qwen2", Architecture::qwen2, "blk.1.attn_k.bias"},
      {"phi3", Architecture::phi3, "blk.1.attn_qkv.weight"},
      {"phi3.5", Architecture::phi3, "rope_factors_long.weight"},
      {"gemma2", Architecture::gemma2, "blk.25.post_ffw_norm.weight"},
  };
  const std::vector<int> prompt = {1, 300, 17, 42, 499, 8, 260, 77, 5};
  for (const auto& f : families) {
    SCOPED_TRACE(f.arch);
    const std::string file = synth(f.arch, vocabulary);
    const auto model = Model::load(file);
    EXPECT_EQ(model->config().architecture, f.architecture);
    EXPECT_EQ(model->config().vocab_size, 512);
    const MappedFile mapped(file);
    const GgufFile gguf({mapped.data(), mapped.size()}, file);
    EXPECT_EQ(gguf.get<std::string_view>("general.architecture"),
              architecture_name(f.architecture));
    EXPECT_NE(gguf.find_tensor(f.tensor), nullptr) << f.tensor;
    // Its context is past the original one: the long factors run (the reference picks them too).
    EXPECT_EQ(model->uses_long_rope_factors(), std::string(f.arch) == "phi3.5");
    test::check_against_reference(file, prompt);
  }
}

// Llama 3's frequency factors as its converter computes them: 1 for the fast rotations, 32 for
// the slow ones, rising in between.
TEST_F(FamilySynth, Llama3WritesItsRopeFactors) {
  const std::string file = synth("llama3", test::require_model("tok512.model"));
  const test::RefModel m = test::read_reference_model(file);
  ASSERT_EQ(m.freq_factors.size(), 8u);
  EXPECT_EQ(m.freq_factors.front(), 1.0);
  EXPECT_EQ(m.freq_factors.back(), 32.0);
  EXPECT_TRUE(std::is_sorted(m.freq_factors.begin(), m.freq_factors.end()));
}

TEST_F(FamilySynth, RealVocabularyIsCopied) {
  const std::string source = test::require_model("llamacpp-vocab/ggml-vocab-llama-bpe.gguf");
  const std::string file = synth("llama3", source);
  EXPECT_EQ(Model::load(file)->config().vocab_size, 128256);
  const MappedFile a(source), b(file);
  const GgufFile from({a.data(), a.size()}, source), to({b.data(), b.size()}, file);
  EXPECT_EQ(to.get<std::string_view>("tokenizer.ggml.pre"), "llama-bpe");
  for (const char* key : {"tokenizer.ggml.tokens", "tokenizer.ggml.merges"})
    EXPECT_EQ(to.get<std::vector<std::string_view>>(key),
              from.get<std::vector<std::string_view>>(key))
        << key;
  EXPECT_EQ(to.get<std::uint64_t>("tokenizer.ggml.bos_token_id"),
            from.get<std::uint64_t>("tokenizer.ggml.bos_token_id"));
}

TEST_F(FamilySynth, BadArgumentsAreOneError) {
  const CliRun unknown = run_engine("synth --arch falcon -o " + path("falcon"));
  EXPECT_NE(unknown.status, 0);
  EXPECT_EQ(unknown.output,
            "engine: error: unknown --arch 'falcon' "
            "(expected llama3|qwen2|smollm2|tinyllama|phi3|phi3.5|gemma2)\n");
  const CliRun checkpoint = run_engine("synth --arch qwen2 -o /tmp/never.bin");
  EXPECT_NE(checkpoint.status, 0);
  EXPECT_NE(checkpoint.output.find("--arch writes a .gguf"), std::string::npos)
      << checkpoint.output;
}

}  // namespace
}  // namespace engine
