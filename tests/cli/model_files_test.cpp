// Which files a command uses when -m or -z is left out: the tokenizer follows the model (a
// llama2.c checkpoint's is the one beside it for its vocabulary), and a missing default model
// says where it was looked for and how to point elsewhere (ENGINE_MODELS_DIR).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

const std::string kArgs = " -p 'Once upon a time' -n 12 --temperature 0 --log-level warn";

// Naming the default model keeps the default model's tokenizer (tok512.bin, not the Llama 2
// tokenizer.bin of 32000 tokens placed next to it).
TEST(ModelFiles, TheTokenizerFollowsANamedCheckpoint) {
  const std::string model = quote(require_model("stories260K.bin"));
  const CliResult named = run_cli("generate -m " + model + kArgs);
  ASSERT_EQ(named.exit_code, 0) << named.err;
  const CliResult explicit_tokenizer =
      run_cli("generate -m " + model + " -z " + quote(require_model("tok512.bin")) + kArgs);
  EXPECT_EQ(named.out, explicit_tokenizer.out);
  const fs::path json = fs::temp_directory_path() / ("model_files_" + std::to_string(::getpid()));
  const CliResult eval =
      run_cli("eval -m " + model + " -p hi --logits-out " + quote(json.string()));
  EXPECT_EQ(eval.exit_code, 0) << eval.err;
  const CliResult convert = run_cli("convert " + model + " -o " + quote(json.string()));
  EXPECT_EQ(convert.exit_code, 0) << convert.err;
  fs::remove(json);
}

// Beside the checkpoint wins, wherever the models folder is.
TEST(ModelFiles, TheTokenizerBesideACheckpointInAnotherFolder) {
  const fs::path dir = fs::temp_directory_path() / ("beside_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(require_model("stories260K.bin"), dir / "model.bin");
  fs::copy_file(require_model("tok512.bin"), dir / "tok512.bin");
  const CliResult r = run_cli("generate -m " + quote((dir / "model.bin").string()) + kArgs,
                              "ENGINE_MODELS_DIR=/nonexistent");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Once upon a time", 0), 0u) << r.out;
  fs::remove_all(dir);
}

TEST(ModelFiles, AMissingDefaultModelSaysWhereAndHow) {
  for (const char* command : {"generate", "info", "bench", "tokenize hello"}) {
    const CliResult r = run_cli(command, "ENGINE_MODELS_DIR=/nonexistent/models");
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    for (const char* needle : {"/nonexistent/models", "ENGINE_MODELS_DIR", "-m"})
      EXPECT_NE(r.err.find(needle), std::string::npos) << needle << " in " << r.err;
  }
  EXPECT_NE(run_cli("--help").out.find("ENGINE_MODELS_DIR"), std::string::npos);
}

}  // namespace
}  // namespace engine::test
