// engine generate with several prompts, --json, --prompts-file and --attention-png.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

std::string base_args() {
  return "generate -m " + quote(require_model("stories260K.bin")) + " -z " +
         quote(require_model("tok512.bin")) + " -n 24 --temperature 0 --log-level warn";
}

const std::vector<std::string> kPrompts = {"The cat", "Lily and Tom went to the park.",
                                           "One day, a big bird flew over the tall tree and saw"};

// `prompts` as one batch print what each prints alone, with the options `args`.
void expect_batch_prints_each_alone(const std::string& args,
                                    const std::vector<std::string>& prompts) {
  std::string batch_args = args, expected;
  for (const auto& p : prompts) {
    batch_args += " -p " + quote(p);
    const CliResult alone = run_cli(args + " -p " + quote(p));
    ASSERT_EQ(alone.exit_code, 0) << alone.err;
    expected += alone.out;
  }
  const CliResult batch = run_cli(batch_args);
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  EXPECT_EQ(batch.out, expected);
}

TEST(GenerateBatch, EachPromptPrintsWhatItPrintsAlone) {
  expect_batch_prints_each_alone(base_args(), kPrompts);
}

// With a window too (one prompt longer than the window's block of 16; the ring of 31 rows
// wraps): padding never enters a ring.
TEST(GenerateBatch, WithAWindowEachPromptPrintsWhatItPrintsAlone) {
  expect_batch_prints_each_alone(
      base_args() + " --window 16",
      {"The cat", "Lily and Tom went to the park. They saw a big dog and a small bird in a tree.",
       "One day, a big bird flew over the tall tree and saw"});
}

TEST(GenerateBatch, JsonLinesFromAPromptsFile) {
  const fs::path file = fs::temp_directory_path() / ("prompts_" + std::to_string(::getpid()));
  {
    std::ofstream out(file);
    for (const auto& p : kPrompts) out << p << "\n";
  }
  const CliResult r = run_cli(base_args() + " --json --prompts-file " + quote(file.string()));
  fs::remove(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<nlohmann::json> lines = parse_json_lines(r.out);
  ASSERT_EQ(lines.size(), kPrompts.size()) << r.out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["index"], i);
    EXPECT_EQ(lines[i]["prompt"], kPrompts[i]);
    EXPECT_EQ(lines[i]["finish_reason"], "length");
    EXPECT_EQ(lines[i]["tokens"].size(), 24u);
    EXPECT_TRUE(lines[i]["text"].is_string());
  }
}

TEST(GenerateBatch, AttentionHeatmapsPerLayerAndHead) {
  const fs::path dir = fs::temp_directory_path() / ("attn_" + std::to_string(::getpid()));
  const CliResult r = run_cli(base_args() + " -p 'Once upon a time' --attention-png " +
                              quote(dir.string()) + " --heads");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int layer = 0; layer < 5; ++layer) {
    EXPECT_TRUE(fs::exists(dir / ("layer" + std::to_string(layer) + ".png")));
    EXPECT_TRUE(fs::exists(dir / ("layer" + std::to_string(layer) + "_head7.png")));
  }
  fs::remove_all(dir);
}

TEST(GenerateBatch, MissingPromptsFileIsOneErrorLine) {
  const CliResult r = run_cli(base_args() + " --prompts-file /nonexistent/prompts.txt");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("engine: error: /nonexistent/prompts.txt", 0), 0u) << r.err;
}

}  // namespace
}  // namespace engine::test
