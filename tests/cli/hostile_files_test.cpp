// The hostile-file suite: malformed variants of the placed models and tokenizers, written at test
// time by tools/hostile/make_hostile_files.py, each run through `info`, `generate -n 2` and
// `tokenize` under a time and a memory limit. Every run must end cleanly: exit 0 with no error,
// or a non-zero exit with exactly one `engine: error:` line, last on stderr. The generator marks
// the commands a variant must fail (a truncated file never loads); the rest may also succeed,
// since a flipped bit or a retyped tensor can leave a file legitimately loadable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

struct Variant {
  std::string file;
  std::string role;  // gguf_model, llama2c_model or tokenizer
  std::set<std::string> must_fail;
  std::set<std::string> must_pass;  // the unchanged file: the runs themselves can succeed
};

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ENGINE_TEST_CLANG_ASAN 1
#endif
#endif
#ifndef ENGINE_TEST_CLANG_ASAN
#define ENGINE_TEST_CLANG_ASAN 0
#endif

// Each run gets 10 s and 2 GB: an allocation bomb must be refused, not attempted. Under
// AddressSanitizer, whose shadow memory needs terabytes of address space, the 2 GB are resident
// memory rather than address space.
std::string limits() {
#if defined(__SANITIZE_ADDRESS__) || ENGINE_TEST_CLANG_ASAN
  return "ASAN_OPTIONS=hard_rss_limit_mb=2048 timeout -s KILL 10";
#else
  return "ulimit -v 2097152; timeout -s KILL 10";
#endif
}

// The three commands of a variant, by what it is a variant of.
std::map<std::string, std::string> commands(const Variant& v, const fs::path& dir) {
  const std::string file = quote((dir / v.file).string());
  const std::string run = " -n 2 -p 'Once upon' --seed 1 -t 1";
  std::string generate = "generate -m " + file + run;
  if (v.role == "llama2c_model") generate += " -z " + quote(require_model("tok512.bin"));
  if (v.role == "tokenizer")
    generate = "generate -m " + quote(require_model("stories260K.bin")) + " -z " + file + run;
  return {{"info", "info -m " + file},
          {"generate", generate},
          {"tokenize", "tokenize -z " + file + " 'Once upon a time'"}};
}

int error_lines(const std::string& err) {
  int n = 0;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) n += line.rfind("engine: error: ", 0) == 0;
  return n;
}

// "" when the run ended cleanly (and as it must), else what was wrong.
std::string problem(const CliResult& r, bool must_fail, bool must_pass) {
  if (r.exit_code >= 128) return "killed by signal " + std::to_string(r.exit_code - 128);
  const int errors = error_lines(r.err);
  if (must_pass && r.exit_code != 0) return "failed on a file it must run";
  if (r.exit_code == 0) {
    if (must_fail) return "succeeded on a file it must refuse";
    return errors == 0 ? "" : "exit 0 after an error line";
  }
  if (errors != 1) return std::to_string(errors) + " error lines";
  const std::string last = r.err.substr(r.err.rfind('\n', r.err.size() - 2) + 1);
  return last.rfind("engine: error: ", 0) == 0 ? "" : "the error line is not the last";
}

// The variants of one source file (see make_hostile_files.py), written into `dir`.
std::vector<Variant> write_variants(const std::string& source, const fs::path& dir) {
  const std::string generator =
      std::string(ENGINE_TEST_MODELS_DIR) + "/../tools/hostile/make_hostile_files.py";
  const std::string command = "python3 " + quote(generator) + " " + quote(ENGINE_TEST_MODELS_DIR) +
                              " " + quote(dir.string()) + " " + source;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::vector<Variant> variants;
  std::ifstream manifest(dir / "manifest.tsv");
  for (std::string line; std::getline(manifest, line);) {
    std::istringstream fields(line);
    Variant v;
    std::string fails, passes;
    fields >> v.file >> v.role >> fails >> passes;
    for (auto [list, names] : {std::pair{&fails, &v.must_fail}, std::pair{&passes, &v.must_pass}}) {
      std::istringstream items(*list);
      for (std::string name; std::getline(items, name, ',');) names->insert(name);
    }
    variants.push_back(v);
  }
  return variants;
}

class HostileFiles : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("engine_hostile_" + GetParam() + "_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_P(HostileFiles, EveryRunEndsCleanly) {
  const std::vector<Variant> variants = write_variants(GetParam(), dir_);
  EXPECT_GT(variants.size(), 0u) << "no variants of " << GetParam();
  for (const Variant& v : variants) {
    for (const auto& [name, args] : commands(v, dir_)) {
      const CliResult r = run_cli(args, limits());
      const std::string what = problem(r, v.must_fail.count(name) > 0, v.must_pass.count(name) > 0);
      EXPECT_EQ(what, "") << v.file << " " << name << " (exit " << r.exit_code << ")\n" << r.err;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, HostileFiles,
                         ::testing::Values("stories_gguf", "stories_bin", "tok512_bin",
                                           "tok512_model", "vocab_spm", "gpt2"));

}  // namespace
}  // namespace engine::test
