// engine synth: write a llama model of a standard shape with random weights
// (engine::synthesize_model), a llama2.c checkpoint, or a GGUF when the output ends in .gguf; with
// --arch, a GGUF of a model family in llama.cpp's layout.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/output_file.hpp"
#include "cli/progress_bar.hpp"
#include "common/log.hpp"
#include "engine/error.hpp"
#include "engine/synth.hpp"

namespace engine::cli {
namespace {

struct SynthArgs {
  std::string preset;
  std::string arch;
  std::string output;
  std::string tokenizer;
  std::uint64_t seed = 1;
};

void run_synth(const SynthArgs& args) {
  const std::span<const std::string_view> families = synth_families();
  if (!args.arch.empty() && std::ranges::find(families, args.arch) == families.end())
    throw Error(ErrorCode::invalid_argument, fmt::format("unknown --arch '{}' (expected {})",
                                                         args.arch, fmt::join(families, "|")));
  const bool gguf = std::filesystem::path(args.output).extension() == ".gguf";
  if (!args.arch.empty() && !gguf)
    throw Error(ErrorCode::invalid_argument, "--arch writes a .gguf (name the output *.gguf)");
  if (!gguf && !args.tokenizer.empty())
    throw Error(ErrorCode::invalid_argument,
                "-z embeds a tokenizer in a .gguf output; a llama2.c checkpoint holds none");
  const SynthOptions options{
      .preset = args.preset,
      .family = args.arch,
      .format = gguf ? SynthFormat::gguf : SynthFormat::checkpoint,
      .tokenizer = args.tokenizer,
      .seed = args.seed,
      .progress =
          [](std::uint64_t written, std::uint64_t total) {
            show_progress(written, total, fmt::format("{:.2f} GB", written * 4.0 / 1e9));
          },
  };
  // Written whole or not at all (an interrupted run leaves the old file), never over the -z file.
  OutputFile file(args.output, std::array{args.tokenizer});
  const std::uint64_t total = synthesize_model(file.temp_path(), options);
  file.commit();
  app::log(LogLevel::info, "wrote {}: {} parameters, {:.1f} MB", args.output, total,
           std::filesystem::file_size(args.output) / 1e6);
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  CLI::App* cmd = app.add_subcommand(
      "synth", "Write a llama model of a standard shape with random weights (.bin or .gguf)");
  cmd->add_option("--preset", args->preset,
                  "260K|15M|110M|1B (with --arch also tiny, the default there)");
  cmd->add_option(
      "--arch", args->arch,
      "a model family in llama.cpp's layout: llama3|qwen2|smollm2|tinyllama|phi3|phi3.5|gemma2 "
      "(.gguf only; -z VOCAB.gguf embeds its real vocabulary)");
  cmd->add_option("-o,--output", args->output, "output file: llama2.c checkpoint, or *.gguf")
      ->required();
  cmd->add_option("-z,--tokenizer", args->tokenizer,
                  "tokenizer to embed in a .gguf (default: a synthetic vocabulary)");
  cmd->add_option("--seed", args->seed, "random seed")->capture_default_str();
  cmd->callback([args] {
    if (args->preset.empty() && args->arch.empty())
      throw Error(ErrorCode::invalid_argument, "synth needs --preset (or --arch)");
    if (args->preset.empty()) args->preset = "tiny";
    run_synth(*args);
  });
}

}  // namespace engine::cli
