// engine convert: stories260K.bin + tok512.bin -> GGUF -> the same model: identical logits
// (f32), the same greedy text as the .bin with the same weight conversion (q8_0), the
// tokenizer embedded (no -z needed).
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

class Convert : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("convert_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string convert(const std::string& type) {
    const std::string out = (dir_ / ("s-" + type + ".gguf")).string();
    const CliResult r = run_cli("convert " + quote(require_model("stories260K.bin")) + " -z " +
                                quote(require_model("tok512.bin")) + " -o " + quote(out) +
                                " --type " + type + " --log-level warn");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  fs::path dir_;
};

TEST_F(Convert, F32RoundTripGivesIdenticalLogits) {
  const std::string gguf = convert("f32");
  const std::string bin_json = (dir_ / "bin.json").string(),
                    gguf_json = (dir_ / "gguf.json").string();
  const std::string prompt = " -p 'Once upon a time, Lily saw a big red ball.'";
  ASSERT_EQ(
      run_cli("eval -m " + quote(require_model("stories260K.bin")) + " -z " +
              quote(require_model("tok512.bin")) + prompt + " --logits-out " + quote(bin_json))
          .exit_code,
      0);
  const CliResult r =
      run_cli("eval -m " + quote(gguf) + prompt + " --logits-out " + quote(gguf_json));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(gguf_json), read_file(bin_json));
}

TEST_F(Convert, Q8_0GgufGeneratesLikeTheBinConvertedAtLoad) {
  const std::string gguf = convert("q8_0");
  const std::string args = " -n 80 --temperature 0 --log-level warn";
  const CliResult from_gguf = run_cli("generate -m " + quote(gguf) + args);
  const CliResult from_bin =
      run_cli("generate -m " + quote(require_model("stories260K.bin")) + " -z " +
              quote(require_model("tok512.bin")) + " --weight-type q8" + args);
  ASSERT_EQ(from_gguf.exit_code, 0) << from_gguf.err;
  EXPECT_EQ(from_gguf.out, from_bin.out);
  const CliResult info = run_cli("info --json -m " + quote(gguf));
  EXPECT_NE(info.out.find("q8_0"), std::string::npos) << info.out;
}

TEST_F(Convert, Bf16AndF16GgufsGenerate) {
  for (const char* type : {"bf16", "f16"}) {
    const CliResult r = run_cli("generate -m " + quote(convert(type)) +
                                " -p 'Once upon a time' -n 20 --temperature 0 --log-level warn");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.substr(0, 40), "Once upon a time, there was a little gir") << type;
  }
}

TEST_F(Convert, BadTypeIsOneErrorLine) {
  const CliResult r = run_cli("convert " + quote(require_model("stories260K.bin")) + " -z " +
                              quote(require_model("tok512.bin")) + " -o " +
                              quote((dir_ / "x.gguf").string()) + " --type q4");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << r.err;
}

// convert writes the llama layout: a gpt2 model is refused by name, nothing is written.
TEST_F(Convert, Gpt2IsRefusedWithOneErrorLine) {
  const std::string out = (dir_ / "gpt2.gguf").string();
  const CliResult r = run_cli("convert " + quote(require_model("gpt2-tiny-random.gguf")) + " -o " +
                              quote(out) + " --type f32");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("convert writes llama models only"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

// A llama GGUF converts too (its vocabulary comes along): stories260K.gguf to q8_0 generates the
// text of the .bin converted to q8_0 at load.
TEST_F(Convert, LlamaGgufConvertsToAnotherType) {
  const std::string out = (dir_ / "from-gguf-q8_0.gguf").string();
  const CliResult c = run_cli("convert " + quote(require_model("stories260K.gguf")) + " -o " +
                              quote(out) + " --type q8_0 --log-level warn");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const std::string gen = " -n 60 --temperature 0 --log-level warn";
  const CliResult converted = run_cli("generate -m " + quote(out) + gen);
  const CliResult at_load =
      run_cli("generate -m " + quote(require_model("stories260K.bin")) + " -z " +
              quote(require_model("tok512.bin")) + " --weight-type q8" + gen);
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  EXPECT_EQ(converted.out, at_load.out);
}

}  // namespace
}  // namespace engine::test
