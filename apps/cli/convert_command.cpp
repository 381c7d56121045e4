// engine convert: a llama2.c checkpoint (or GGUF) and its tokenizer -> one GGUF file of a weight
// type (llama architecture, tokenizer embedded), written by engine::convert.
#include <fmt/format.h>

#include <array>

#include "cli/commands.hpp"
#include "cli/model_files.hpp"
#include "cli/output_file.hpp"
#include "cli/progress_bar.hpp"
#include "common/log.hpp"
#include "engine/convert.hpp"

namespace engine::cli {
namespace {

struct ConvertArgs {
  ModelFiles files;
  std::string output;
  std::string type = "f32";
};

void run_convert(const ConvertArgs& args) {
  const ModelFiles files = resolve_model_files(args.files);
  // The model's file stays mapped (its norms are read from it) and neither input may be lost.
  OutputFile file(args.output, std::array{files.model, files.tokenizer});
  const LoadedModel loaded = load_model_and_tokenizer(files);
  const ConvertOptions options{
      .type = args.type, .progress = [](std::size_t done, std::size_t total) {
        show_progress(done, total, fmt::format("{}/{} tensors", done, total));
      }};
  convert(*loaded.model, *loaded.tokenizer, file.temp_path(), options);
  file.commit();
  app::log(LogLevel::info, "wrote {} ({})", args.output, args.type);
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand("convert",
                                     "Convert a llama model (llama2.c checkpoint + tokenizer, or "
                                     "GGUF) to one GGUF file of a weight type");
  cmd->add_option("model", args->files.model, "llama2.c checkpoint or GGUF")->required();
  cmd->add_option("-z,--tokenizer", args->files.tokenizer,
                  "tokenizer.bin or .model (default: a GGUF model's own vocabulary)");
  cmd->add_option("-o,--output", args->output, "output .gguf")->required();
  cmd->add_option("--type", args->type,
                  "f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q2_k|q3_k_m|q4_k_m|q5_k_m|q6_k: the "
                  "tensor types llama.cpp's file of that type has")
      ->capture_default_str();
  cmd->callback([args] { run_convert(*args); });
}

}  // namespace engine::cli
