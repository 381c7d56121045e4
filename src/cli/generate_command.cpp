// engine generate: stream a continuation of a prompt to stdout.
#include <fmt/format.h>
#include <chrono>

#include <cstdio>
#include <optional>
#include <random>

#include "cli/commands.hpp"
#include "cli/model_files.hpp"
#include "engine/error.hpp"
#include "engine/generation/generator.hpp"
#include "engine/runtime.hpp"
#include "util/log.hpp"

namespace engine::cli {
namespace {

struct GenerateArgs {
  ModelFiles files;
  std::string prompt;
  GenerationOptions options;
  std::optional<std::uint64_t> seed;
  int threads = 0;
};

void write_stdout(std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  std::fflush(stdout);
}

void run_generate(const GenerateArgs& args) {
  set_num_threads(args.threads);
  GenerationOptions options = args.options;
  options.sampling.seed = args.seed ? *args.seed : std::random_device{}();
  validate(options.sampling);

  const LoadedModel loaded = load_model_and_tokenizer(resolve_model_files(args.files));
  Session session(loaded.model);
  // Fail on a prompt that cannot fit before printing anything.
  const std::size_t prompt_tokens = loaded.tokenizer->encode(args.prompt, true, false).size();
  if (prompt_tokens > static_cast<std::size_t>(session.context_length()))
    throw Error(ErrorCode::context_full,
                fmt::format("the prompt is {} tokens but the context of {} holds {}", prompt_tokens,
                            args.files.model.empty() ? "the model" : args.files.model,
                            session.context_length()));

  if (!args.seed && options.sampling.temperature > 0.0f)
    log::info("seed {} (pass --seed to repeat this text)", options.sampling.seed);
  write_stdout(args.prompt);
  const GenerationResult result =
      generate(session, *loaded.tokenizer, args.prompt, options, [](int, std::string_view piece) {
        write_stdout(piece);
        return true;
      });
  write_stdout("\n");
  if (result.finish_reason == FinishReason::context)
    log::warn("stopped: the context of {} tokens is full", session.context_length());
  const double tps = result.decode_seconds > 0 && result.tokens.size() > 1
                         ? (result.tokens.size() - 1) / result.decode_seconds
                         : 0.0;
  log::info("{} prompt tokens, {} generated ({}), prompt {:.1f} ms, {:.1f} tok/s",
            result.prompt_tokens.size(), result.tokens.size(),
            finish_reason_name(result.finish_reason), result.prompt_seconds * 1e3, tps);
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate text from a prompt (stdout)");
  cmd->add_option("-m,--model", args->files.model, "llama2.c checkpoint (default: stories260K)");
  cmd->add_option("-z,--tokenizer", args->files.tokenizer, "tokenizer.bin or SentencePiece .model");
  cmd->add_option("-p,--prompt", args->prompt, "prompt text (default: empty)");
  cmd->add_option("-n,--max-new-tokens", args->options.max_new_tokens, "tokens to generate")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--temperature", args->options.sampling.temperature, "0 = greedy")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--top-k", args->options.sampling.top_k, "keep the k most likely (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--top-p", args->options.sampling.top_p, "nucleus mass in (0, 1]")
      ->check(CLI::Range(0.0f, 1.0f))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "random seed (default: random, logged)");
  cmd->add_option("-t,--threads", args->threads, "threads (0 = one per core)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace engine::cli
