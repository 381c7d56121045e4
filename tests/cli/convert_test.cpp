// engine convert: stories260K.bin + tok512.bin -> GGUF -> the same model: identical logits
// (f32), the same greedy text as the .bin with the same weight conversion (q8_0), the
// tokenizer embedded (no -z needed).
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/json_lines.hpp"
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
  // stories260K.bin + tok512.bin, or another `source`, converted to a GGUF of `type`.
  std::string convert(const std::string& type, const std::string& source = "") {
    const std::string out = (dir_ / ("s-" + type + ".gguf")).string();
    const std::string from = source.empty() ? quote(require_model("stories260K.bin")) + " -z " +
                                                  quote(require_model("tok512.bin"))
                                            : quote(require_model(source));
    const CliResult r =
        run_cli("convert " + from + " -o " + quote(out) + " --type " + type + " --log-level warn");
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

// From the checkpoint, and from llama.cpp's GGUF of it (a llama GGUF converts too, its
// vocabulary coming along).
TEST_F(Convert, Q8_0GgufGeneratesLikeTheBinConvertedAtLoad) {
  const std::string args = " -n 80 --temperature 0 --log-level warn";
  const CliResult from_bin =
      run_cli("generate -m " + quote(require_model("stories260K.bin")) + " -z " +
              quote(require_model("tok512.bin")) + " --weight-type q8" + args);
  for (const char* source : {"", "stories260K.gguf"}) {
    const std::string gguf = convert("q8_0", source);
    const CliResult from_gguf = run_cli("generate -m " + quote(gguf) + args);
    ASSERT_EQ(from_gguf.exit_code, 0) << from_gguf.err;
    // Not all 80 tokens: the GGUF's embedding is Q8_0 too (it is the shared classifier) where
    // the .bin keeps an f32 embedding, so the two drift apart after some 40 tokens.
    EXPECT_EQ(from_gguf.out.substr(0, 150), from_bin.out.substr(0, 150)) << source;
    const CliResult info = run_cli("info --json -m " + quote(gguf));
    EXPECT_NE(parse_json(info.out)["tensor_types"].get<std::string>().find("q8_0"),
              std::string::npos)
        << info.out;
  }
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

// stories260K's rows (64 and 172 values) are not whole 256-value K-quant blocks: Q4_K_M falls
// back as llama.cpp does and the file generates: of 5 layers x 7 matrices, ffn_down (172) Q6_K or
// Q4_K -> F16, attn_v of layers 2 and 4 (more bits) Q6_K -> Q8_0, the other 28 Q4_K -> Q5_0; the
// tied embedding (the classifier) Q8_0; 11 norms f32. Q2_K, whose fallback the engine cannot write,
// is one error line naming the tensor, no file.
TEST_F(Convert, KQuantMixesFallBackOnRowsNotWholeBlocks) {
  const std::string gguf = convert("q4_k_m");
  const CliResult info = run_cli("info --json -m " + quote(gguf));
  EXPECT_EQ(parse_json(info.out)["tensor_types"], "f16 (5), f32 (11), q5_0 (28), q8_0 (3)")
      << info.out;
  const CliResult r = run_cli("generate -m " + quote(gguf) +
                              " -p 'Once upon a time' -n 20 --temperature 0 --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 40), "Once upon a time, there was a little gir");

  const std::string out = (dir_ / "q2_k.gguf").string();
  const CliResult q2 =
      run_cli("convert " + quote(require_model("stories260K.bin")) + " -z " +
              quote(require_model("tok512.bin")) + " -o " + quote(out) + " --type q2_k");
  EXPECT_EQ(q2.exit_code, 1);
  EXPECT_EQ(q2.err.rfind("engine: error: blk.0.attn_q.weight: rows of 64 values", 0), 0u) << q2.err;
  EXPECT_FALSE(fs::exists(out));
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

// A GGUF converted onto itself is refused before anything is written: the file still loads.
TEST_F(Convert, OutputOverTheInputIsRefused) {
  const std::string gguf = convert("q8_0");
  const auto size = fs::file_size(gguf);
  const CliResult r = run_cli("convert " + quote(gguf) + " -o " + quote(gguf) + " --type f32");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("refusing to write over an input"), std::string::npos) << r.err;
  EXPECT_EQ(fs::file_size(gguf), size);
  EXPECT_EQ(run_cli("info -m " + quote(gguf)).exit_code, 0);
}

}  // namespace
}  // namespace engine::test
