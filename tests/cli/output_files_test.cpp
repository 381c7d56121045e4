// Output files: never written over one of the command's inputs (same device and inode, whatever
// the name), written whole or not at all (a temporary beside the target, renamed when
// complete), and a target that cannot be created is named with the reason before any output.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli/expect_error_line.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

class OutputFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("engine_output_files_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    model_ = copy("stories260K.bin", "copy.bin");
    tokenizer_ = copy("tok512.bin", "tok.bin");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string copy(const std::string& model, const std::string& name) {
    const fs::path to = dir_ / name;
    fs::copy_file(require_model(model), to);
    return to.string();
  }
  fs::path dir_;
  std::string model_, tokenizer_;
};

TEST_F(OutputFiles, EvalRefusesToWriteOverItsModel) {
  const std::string before = read_file(model_);
  expect_one_error_line(run_cli("eval -m " + quote(model_) + " -z " + quote(tokenizer_) +
                                " -p hi --logits-out " + quote(model_)),
                        "input");
  EXPECT_EQ(read_file(model_), before);
}

// A hard link is another name for the same file: compared by device and inode, not by name.
TEST_F(OutputFiles, EvalRefusesAHardLinkToItsTokenizer) {
  const std::string link = (dir_ / "link.bin").string();
  fs::create_hard_link(tokenizer_, link);
  const std::string before = read_file(tokenizer_);
  expect_one_error_line(run_cli("eval -m " + quote(model_) + " -z " + quote(tokenizer_) +
                                " -p hi --logits-out " + quote(link)),
                        "input");
  EXPECT_EQ(read_file(tokenizer_), before);
}

TEST_F(OutputFiles, ConvertRefusesToWriteOverItsTokenizer) {
  const std::string before = read_file(tokenizer_);
  expect_one_error_line(
      run_cli("convert " + quote(model_) + " -z " + quote(tokenizer_) + " -o " + quote(tokenizer_)),
      "input");
  EXPECT_EQ(read_file(tokenizer_), before);
}

// Killed part-way through (the file-size limit kills the process with SIGXFSZ after 64 KiB of
// a 1 MB GGUF), convert leaves the existing target as it was.
TEST_F(OutputFiles, AnInterruptedConvertLeavesTheOldTargetWhole) {
  const std::string target = (dir_ / "out.gguf").string();
  std::ofstream(target) << "the old contents";
  const CliResult r = run_cli("convert " + quote(model_) + " -z " + quote(tokenizer_) + " -o " +
                                  quote(target) + " --log-level warn",
                              "ulimit -f 128;");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(read_file(target), "the old contents");
  // Complete, it replaces the target.
  const CliResult done = run_cli("convert " + quote(model_) + " -z " + quote(tokenizer_) + " -o " +
                                 quote(target) + " --log-level warn");
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(read_file(target).substr(0, 4), "GGUF");
}

TEST_F(OutputFiles, AnUncreatableTargetIsNamedWithTheReason) {
  expect_one_error_line(run_cli("eval -m " + quote(model_) + " -z " + quote(tokenizer_) +
                                " -p hi --logits-out /nonexistent/x.json"),
                        "No such file or directory");
  // mask fails before printing the mask.
  expect_one_error_line(run_cli("mask --kind causal --size 4 --png /nonexistent/x.png"),
                        "No such file or directory");
}

TEST_F(OutputFiles, AttentionPngOnARegularFileIsOurMessage) {
  const std::string file = (dir_ / "plain").string();
  std::ofstream(file) << "x";
  expect_one_error_line(run_cli("generate -m " + quote(model_) + " -z " + quote(tokenizer_) +
                                " -p hi -n 2 --attention-png " + quote(file)),
                        "not a directory");
}

// Like coreutils: a failed write to stdout (here a full disk) is an error, not exit 0.
TEST_F(OutputFiles, AFullStdoutIsAnError) {
  const std::string files = " -m " + quote(model_) + " -z " + quote(tokenizer_);
  for (const std::string& command :
       {"generate" + files + " -p 'Once upon a time' -n 5 --json --seed 1",
        "generate" + files + " -p 'Once upon a time' -n 5 --seed 1",
        std::string("mask --kind causal --size 4"),
        "bench -m " + quote(model_) + " -p 4 -n 0 -r 1 -t 1"}) {
    const CliResult r = run_cli(command + " --log-level warn >/dev/full");
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << command << ": " << r.err;
    EXPECT_NE(r.err.find("standard output"), std::string::npos) << command << ": " << r.err;
  }
}

}  // namespace
}  // namespace engine::test
