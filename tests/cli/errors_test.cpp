// Bad input on the command line: one clear line on stderr, a non-zero exit, never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/expect_error_line.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("engine_cli_errors_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(CliErrors, MissingModelFile) {
  const CliResult r =
      run_cli("generate -m /nonexistent/model.bin -z " + quote(require_model("tok512.bin")));
  expect_one_error_line(r, "/nonexistent/model.bin");
}

TEST_F(CliErrors, TruncatedModel) {
  const std::string real = read_file(require_model("stories260K.bin"));
  const std::string path = write("truncated.bin", real.substr(0, real.size() / 2));
  const CliResult r =
      run_cli("generate -m " + quote(path) + " -z " + quote(require_model("tok512.bin")));
  expect_one_error_line(r, "truncated");
}

TEST_F(CliErrors, EmptyAndTextModelFiles) {
  const std::string tokenizer = quote(require_model("tok512.bin"));
  expect_one_error_line(
      run_cli("generate -m " + quote(write("empty.gguf", "")) + " -z " + tokenizer), "empty file");
  expect_one_error_line(
      run_cli("generate -m " + quote(write("notes.txt", "Remember to buy milk.\n")) + " -z " +
              tokenizer),
      "not a model file (neither GGUF nor llama2.c)");
}

TEST_F(CliErrors, WrongTokenizerForModel) {
  const CliResult r = run_cli("generate -m " + quote(require_model("stories260K.bin")) + " -z " +
                              quote(require_model("tokenizer.bin")));
  expect_one_error_line(r, "wrong tokenizer");
}

TEST_F(CliErrors, PromptLongerThanContext) {
  std::string prompt;
  for (int i = 0; i < 600; ++i) prompt += "Lily ";
  const CliResult r = run_cli("generate -m " + quote(require_model("stories260K.bin")) + " -z " +
                              quote(require_model("tok512.bin")) + " -p " + quote(prompt));
  expect_one_error_line(r, "context");
}

TEST_F(CliErrors, InvalidOptions) {
  expect_one_error_line(run_cli("generate --temperature -1"), "temperature");
  expect_one_error_line(run_cli("generate --top-p 1.5"), "top-p");
  expect_one_error_line(run_cli("generate -n lots"), "max-new-tokens");
  expect_one_error_line(run_cli("frobnicate"), "frobnicate");
  expect_one_error_line(run_cli("info --log-level loud"), "loud");
}

TEST_F(CliErrors, UnsupportedOrUnknownIsa) {
  expect_one_error_line(run_cli("info", "ENGINE_ISA=sse9"), "sse9");
}

TEST_F(CliErrors, GarbageTokenizer) {
  const std::string path = write("garbage.tok", std::string("\x07\x00\x00\x00garbage!", 12));
  const CliResult r = run_cli("tokenize -z " + quote(path) + " hello");
  expect_one_error_line(r, path);
}

}  // namespace
}  // namespace engine::test
