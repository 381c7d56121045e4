// GGUF end to end: llama.cpp's conversion of stories260K (vocabulary embedded, no -z needed)
// generates exactly what the llama2.c checkpoint does; its context of 128 stops generation
// with a notice until --ctx raises it; info and tokenize read the file too. llama.cpp's layout of
// a (random) GPT-2 runs too.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_gguf_builder.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

std::string gguf_model() {
  return quote(require_model("stories260K.gguf"));
}

// The checkpoint's greedy text, itself checked against llama2.c's in generate_golden_test.
std::string checkpoint_text(int tokens) {
  const CliResult r = run_cli("generate -m " + quote(require_model("stories260K.bin")) + " -z " +
                              quote(require_model("tok512.bin")) + " -n " + std::to_string(tokens) +
                              " --temperature 0 --log-level warn");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(GgufGenerate, EmbeddedVocabularyGivesTheCheckpointText) {
  const CliResult r =
      run_cli("generate -m " + gguf_model() + " -n 100 --temperature 0 --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, checkpoint_text(100));
  EXPECT_EQ(r.err, "");
}

TEST(GgufGenerate, StopsAtTheFileContextWithANotice) {
  const CliResult r =
      run_cli("generate -m " + gguf_model() + " -n 256 --temperature 0 --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("the context of 128 tokens is full (--ctx N"), std::string::npos) << r.err;
  const std::string full = checkpoint_text(256);
  ASSERT_LT(r.out.size(), full.size());
  EXPECT_EQ(r.out.substr(0, r.out.size() - 1), full.substr(0, r.out.size() - 1));
}

TEST(GgufGenerate, CtxRaisesTheContextWithAWarning) {
  const CliResult r =
      run_cli("generate -m " + gguf_model() + " -n 256 --ctx 512 --temperature 0 --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, checkpoint_text(256));
  EXPECT_NE(r.err.find("context raised to 512 tokens, past the 128 the file declares"),
            std::string::npos)
      << r.err;
  EXPECT_NE(run_cli("generate -m " + gguf_model() + " --ctx 0").exit_code, 0);
}

TEST(GgufInfo, ShowsFormatArchitectureTypesAndTokenizer) {
  const CliResult r = run_cli("info --json -m " + gguf_model());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json info = parse_json(r.out);
  EXPECT_EQ(info["context_length"], 128);
  EXPECT_EQ(info["format"], "gguf v3");
  EXPECT_EQ(info["architecture"], "llama");
  EXPECT_EQ(info["tensor_types"], "f32 (48)");
  EXPECT_EQ(info["tokenizer"], "llama");
  EXPECT_EQ(info["shared_classifier"], false);
}

// A Llama 3 layout: the architecture, its pre-tokenizer and the tokens that end generation as
// the published vocabulary has them (128009 <|eot_id|>).
TEST(GgufInfo, NamesThePreTokenizerAndTheEndOfGenerationTokens) {
  const CliResult r =
      run_cli("info --json -m " + quote(require_model("families/llama32-style-f32.gguf")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json info = parse_json(r.out);
  EXPECT_EQ(info["architecture"], "llama");
  EXPECT_EQ(info["pre_tokenizer"], "llama-bpe");
  const std::string ends = info["end_of_generation"];
  EXPECT_NE(ends.find("128009 <|eot_id|>"), std::string::npos) << ends;
  EXPECT_EQ(info["chat_template"], true);  // the file carries Llama 3.2's template
}

TEST(GgufInfo, NamesTheQwen2Architecture) {
  const CliResult r =
      run_cli("info --json -m " + quote(require_model("families/qwen25-style-f32.gguf")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json info = parse_json(r.out);
  EXPECT_EQ(info["architecture"], "qwen2");
  EXPECT_EQ(info["pre_tokenizer"], "qwen2");
  EXPECT_NE(std::string(info["end_of_generation"]).find("151645 <|im_end|>"), std::string::npos);
}

TEST(GgufTokenize, ReadsTheVocabularyOfAGgufFile) {
  const CliResult r =
      run_cli("tokenize -z " + quote(require_model("llamacpp-vocab/ggml-vocab-gpt-2.gguf")) +
              " 'Hello world'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "15496 995\n");
}

TEST(GgufErrors, UnsupportedArchitectureIsOneLine) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("falcon_" + std::to_string(::getpid()) + ".gguf"))
          .string();
  std::ofstream(path, std::ios::binary)
      << TestGgufBuilder().kv_string("general.architecture", "falcon").bytes();
  const CliResult r = run_cli("generate -m " + quote(path));
  std::filesystem::remove(path);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("engine: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("architecture 'falcon' is not supported"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// llama.cpp's gpt2 layout with random weights and the real GPT-2 vocabulary: it runs, greedy
// output is deterministic and starts with the prompt (the vocabulary adds no BOS).
TEST(GgufGpt2, GeneratesDeterministically) {
  const std::string args = "generate -m " + quote(require_model("gpt2-tiny-random.gguf")) +
                           " -p 'Hello world' -n 8 --temperature 0 --log-level warn";
  const CliResult first = run_cli(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.err, "");
  EXPECT_EQ(first.out.rfind("Hello world", 0), 0u) << first.out;
  EXPECT_GT(first.out.size(), std::string("Hello world\n").size()) << first.out;
  const CliResult second = run_cli(args + " -t 1");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
}

TEST(GgufGpt2, BatchedPromptsGiveTheirUnbatchedText) {
  const std::string args = "generate -m " + quote(require_model("gpt2-tiny-random.gguf")) +
                           " -n 6 --temperature 0 --log-level warn";
  const std::string prompts[] = {"Hello world, this is a longer prompt", "The"};
  std::string alone;
  for (const std::string& p : prompts) {
    const CliResult r = run_cli(args + " -p " + quote(p));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    alone += r.out;
  }
  const CliResult batch = run_cli(args + " -p " + quote(prompts[0]) + " -p " + quote(prompts[1]));
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  EXPECT_EQ(batch.out, alone);
}

TEST(GgufGpt2, InfoShowsTheArchitecture) {
  const CliResult r = run_cli("info -m " + quote(require_model("gpt2-tiny-random.gguf")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"architecture       gpt2", "tokenizer          gpt2",
                           "context_length     128", "n_kv_heads         4"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " in " << r.out;
}

TEST(GgufGpt2, ContextPastTheLearnedPositionsIsAnError) {
  const CliResult r =
      run_cli("generate -m " + quote(require_model("gpt2-tiny-random.gguf")) + " --ctx 256");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("a context of 256 tokens is past the 128 positions the model learned"),
            std::string::npos)
      << r.err;
}

// Its context is its learned positions: the notice must not suggest --ctx or --window.
TEST(GgufGpt2, StopsAtTheLearnedPositionsWithANotice) {
  const CliResult r = run_cli("generate -m " + quote(require_model("gpt2-tiny-random.gguf")) +
                              " -p Hello -n 300 --temperature 0 --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("is full (the model learned no positions past it)"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("--ctx"), std::string::npos) << r.err;
}

// GPT-2's vocabulary adds no BOS, so "" encodes to nothing: it starts from <|endoftext|>, alone
// or in a batch, as unconditional GPT-2 generation does.
TEST(GgufGpt2, EmptyPromptStartsFromEndOfText) {
  const std::string args = "generate -m " + quote(require_model("gpt2-tiny-random.gguf")) +
                           " -n 4 --temperature 0 --json --log-level warn";
  const CliResult alone = run_cli(args + " -p ''");
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_EQ(parse_json(alone.out)["finish_reason"], "length") << alone.out;
  const CliResult batch = run_cli(args + " -p '' -p Hello");
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  EXPECT_EQ(batch.out.substr(0, batch.out.find('\n') + 1), alone.out);
}

}  // namespace
}  // namespace engine::test
