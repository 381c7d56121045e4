// engine eval: the logits at every position of a prompt, as JSON.
#include <fmt/format.h>

#include <array>

#include "cli/commands.hpp"
#include "cli/json_output.hpp"
#include "cli/model_files.hpp"
#include "cli/option_checks.hpp"
#include "cli/output_file.hpp"
#include "engine/error.hpp"
#include "engine/model/session.hpp"
#include "engine/runtime.hpp"

namespace engine::cli {
namespace {

struct EvalArgs {
  ModelFiles files;
  std::string prompt;
  std::string logits_out;
  int threads = 0;
  std::string weight_type = "f32";
};

void run_eval(const EvalArgs& args) {
  set_num_threads(args.threads);
  const ModelFiles files = resolve_model_files(args.files);
  OutputFile out(args.logits_out, std::array{files.model, files.tokenizer});
  const LoadedModel loaded = load_model_and_tokenizer(files, 0, parse_dtype(args.weight_type));
  Session session(loaded.model);
  const std::vector<int> tokens = loaded.tokenizer->encode(args.prompt, true, false);
  if (tokens.size() > static_cast<std::size_t>(session.context_length()))
    throw Error(ErrorCode::context_full,
                fmt::format("the prompt is {} tokens but the context holds {}", tokens.size(),
                            session.context_length()));
  const std::span<const float> logits = session.forward(tokens, /*all_logits=*/true);
  const std::size_t vocab = loaded.model->config().vocab_size;

  // Row i holds the logits after feeding tokens[0..i].
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < tokens.size(); ++i)
    rows.push_back(
        std::vector<float>(logits.begin() + i * vocab, logits.begin() + (i + 1) * vocab));
  const std::string json = dump_json({{"tokens", tokens}, {"logits", rows}}) + "\n";
  out.write(json);
  out.commit();
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Write the logits of every prompt position as JSON");
  cmd->add_option("-m,--model", args->files.model, "llama2.c checkpoint (default: stories260K)");
  cmd->add_option("-z,--tokenizer", args->files.tokenizer, "tokenizer file");
  cmd->add_option("-p,--prompt", args->prompt, "prompt text")->required();
  cmd->add_option("--logits-out", args->logits_out, "output JSON file")->required();
  cmd->add_option("-t,--threads", args->threads, "threads (0 = one per idle CPU)")
      ->check(whole_number_at_least(0));
  cmd->add_option("--weight-type", args->weight_type, "f32|bf16|q8 (converted at load)")
      ->capture_default_str();
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace engine::cli
