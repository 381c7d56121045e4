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
#include <iostream>
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
};

// Each run gets 10 s and, outside AddressSanitizer (whose shadow memory needs terabytes of
// address space), 2 GB of address space: an allocation bomb must be refused, not attempted.
std::string limits() {
#if defined(__SANITIZE_ADDRESS__)
  return "timeout -s KILL 10";
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

// Defects of issue 25 that other changes fix: these runs are reported, not asserted, until the
// fixes land and the entries go. Variant file -> its commands that currently fail.
bool known_defect(const std::string& file, const std::string& command) {
  static const std::map<std::string, std::string> known = {
      // Defect 1: non-finite logits (NaN norm, infinite weight, retyped matrix) crash sampling.
      {"gpt2-nan_output_norm", "generate"},
      {"gpt2-output_retyped_f16", "generate"},
      {"stories_bin-inf_embedding", "generate"},
      {"stories_bin-nan_rms_final", "generate"},
      {"stories_gguf-nan_output_norm", "generate"},
      {"stories_gguf-t0_retype1", "generate"},
      // Defect 2: NaN in tokenizer.ggml.scores is accepted
      {"stories_gguf-score_nan", "generate,tokenize"},
      {"vocab_spm-score_nan", "tokenize"},
      // Defect 3: an infinite norm epsilon or RoPE base is accepted
      {"gpt2-eps_inf", "info,generate"},
      {"stories_gguf-llama.attention.layer_norm_rms_epsilon=inf", "info,generate"},
      {"stories_gguf-llama.rope.freq_base=inf", "info,generate"},
      // Defect 4: special-token ids out of range are accepted (0xFFFFFFFF reads as none)
      {"stories_gguf-tokenizer.ggml.bos_token_id=4294967295", "generate,tokenize"},
      {"stories_gguf-tokenizer.ggml.eos_token_id=4294967295", "generate,tokenize"},
      {"stories_gguf-tokenizer.ggml.padding_token_id=1000000", "generate,tokenize"},
      {"stories_gguf-tokenizer.ggml.padding_token_id=4294967295", "generate,tokenize"},
      {"stories_gguf-tokenizer.ggml.unknown_token_id=1000000", "generate,tokenize"},
      {"stories_gguf-tokenizer.ggml.unknown_token_id=4294967295", "generate,tokenize"},
      {"vocab_spm-tokenizer.ggml.bos_token_id=4294967295", "tokenize"},
      {"vocab_spm-tokenizer.ggml.eos_token_id=4294967295", "tokenize"},
      {"vocab_spm-tokenizer.ggml.padding_token_id=1000000", "tokenize"},
      {"vocab_spm-tokenizer.ggml.padding_token_id=4294967295", "tokenize"},
      {"vocab_spm-tokenizer.ggml.unknown_token_id=1000000", "tokenize"},
      {"vocab_spm-tokenizer.ggml.unknown_token_id=4294967295", "tokenize"},
  };
  const auto it = known.find(file);
  return it != known.end() &&
         ("," + it->second + ",").find("," + command + ",") != std::string::npos;
}

int error_lines(const std::string& err) {
  int n = 0;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) n += line.rfind("engine: error: ", 0) == 0;
  return n;
}

// "" when the run ended cleanly, else what was wrong.
std::string problem(const CliResult& r, bool must_fail) {
  if (r.exit_code >= 128) return "killed by signal " + std::to_string(r.exit_code - 128);
  const int errors = error_lines(r.err);
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
    std::string fails;
    fields >> v.file >> v.role >> fails;
    std::istringstream names(fails);
    for (std::string name; std::getline(names, name, ',');) v.must_fail.insert(name);
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
      const std::string what = problem(r, v.must_fail.count(name) > 0);
      const std::string id = v.file + " " + name;
      if (known_defect(v.file, name)) {
        if (what.empty()) std::cout << "known defect no longer reproduces: " << id << "\n";
        continue;
      }
      EXPECT_EQ(what, "") << id << " (exit " << r.exit_code << ")\n" << r.err;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, HostileFiles,
                         ::testing::Values("stories_gguf", "stories_bin", "tok512_bin",
                                           "tok512_model", "vocab_spm", "gpt2"));

}  // namespace
}  // namespace engine::test
