// engine generate: continue one or more prompts. One prompt streams to stdout as it is
// produced; several run as one batch (left-padded, one forward pass per step) and print in
// order when done. --json prints one object per prompt and line instead.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/json_output.hpp"
#include "cli/model_files.hpp"
#include "cli/output_file.hpp"
#include "cli/sampling_options.hpp"
#include "cli/standard_output.hpp"
#include "engine/error.hpp"
#include "engine/generation/generator.hpp"
#include "engine/render/heatmap.hpp"
#include "engine/runtime.hpp"
#include "util/log.hpp"

namespace engine::cli {
namespace {

struct GenerateArgs {
  ModelFiles files;
  std::vector<std::string> prompts;
  std::string prompts_file;
  GenerationOptions options;
  std::optional<std::uint64_t> seed;
  int threads = 0;
  int context_length = 0;     // 0: the model's
  std::optional<int> window;  // sliding-window attention over the last W positions
  std::string weight_type = "f32";
  bool json = false;
  std::string attention_png;  // directory for per-layer heatmaps of the prompt block
  bool heads = false;         // one heatmap per head too
};

std::vector<std::string> read_prompts(const GenerateArgs& args) {
  std::vector<std::string> prompts = args.prompts;
  if (!args.prompts_file.empty()) {
    std::ifstream in(args.prompts_file);
    if (!in) throw Error(ErrorCode::io, fmt::format("{}: cannot open", args.prompts_file));
    for (std::string line; std::getline(in, line);) prompts.push_back(line);
    if (prompts.empty())
      throw Error(ErrorCode::invalid_argument, fmt::format("{}: no prompts", args.prompts_file));
  }
  if (prompts.empty()) prompts.emplace_back();  // no prompt: generate from BOS alone
  return prompts;
}

// Heatmaps of the prompt block's attention after the mask: one per layer (heads averaged), and
// one per head with --heads. Written from the session's observer, so nothing is kept around.
void observe_attention(Session& session, const std::string& dir, bool heads) {
  std::error_code error;
  if (std::filesystem::exists(dir, error) && !std::filesystem::is_directory(dir, error))
    throw Error(ErrorCode::io, fmt::format("--attention-png {}: not a directory", dir));
  std::filesystem::create_directories(dir, error);
  if (error)
    throw Error(ErrorCode::io,
                fmt::format("--attention-png {}: cannot create: {}", dir, error.message()));
  const auto write_png = [](const std::string& path, std::span<const float> values, int rows,
                            int cols) {
    OutputFile file(path);
    write_heatmap_png(file.temp_path(), values, rows, cols);
    file.commit();
  };
  // Only the first forward pass (the prompt block, layers 0..n-1), not the decode steps.
  auto passes = std::make_shared<int>(0);
  session.set_attention_observer([dir, heads, passes, write_png](int layer, const float* probs,
                                                                 int T, int n_heads, int n_keys) {
    if (layer == 0) ++*passes;
    if (*passes > 1) return;
    std::vector<float> mean(static_cast<std::size_t>(T) * n_keys, 0.0f), head(mean.size());
    for (int h = 0; h < n_heads; ++h) {
      for (int t = 0; t < T; ++t)
        for (int j = 0; j < n_keys; ++j) {
          const float p = probs[(static_cast<std::size_t>(t) * n_heads + h) * n_keys + j];
          head[static_cast<std::size_t>(t) * n_keys + j] = p;
          mean[static_cast<std::size_t>(t) * n_keys + j] += p / n_heads;
        }
      if (heads) write_png(fmt::format("{}/layer{}_head{}.png", dir, layer, h), head, T, n_keys);
    }
    write_png(fmt::format("{}/layer{}.png", dir, layer), mean, T, n_keys);
  });
}

void print_json(const std::string& prompt, int index, const GenerationResult& r) {
  const nlohmann::ordered_json line = {{"index", index},
                                       {"prompt", prompt},
                                       {"text", r.text},
                                       {"tokens", r.tokens},
                                       {"finish_reason", finish_reason_name(r.finish_reason)}};
  write_stdout(dump_json(line) + "\n");
}

void run_generate(const GenerateArgs& args) {
  set_num_threads(args.threads);
  GenerationOptions options = args.options;
  options.sampling = seeded(options.sampling, args.seed);
  if (args.window && *args.window < 1)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("--window must be at least 1, got {}", *args.window));
  // A windowed prompt runs in chunks over a ring of cache slots: no one picture of positions.
  if (args.window && !args.attention_png.empty())
    throw Error(ErrorCode::invalid_argument, "--attention-png does not combine with --window");
  const std::vector<std::string> prompts = read_prompts(args);

  const LoadedModel loaded = load_model_and_tokenizer(
      resolve_model_files(args.files), args.context_length, parse_dtype(args.weight_type));
  Session session(loaded.model, {.max_batch = static_cast<int>(prompts.size()),
                                 .window = args.window.value_or(0)});
  log::debug("KV cache: {:.1f} KiB ({})", session.memory_bytes() / 1024.0,
             session.window() ? fmt::format("a ring for a window of {}", session.window())
                              : fmt::format("{} positions", session.context_length()));
  if (args.window && session.window() == 0)
    log::warn(
        "--window {} covers the whole context of {}: plain causal attention, which stops "
        "when the context is full",
        *args.window, session.context_length());
  // Fail on a prompt that cannot fit before printing anything (with a RoPE model's window any
  // prompt fits).
  for (const std::string& prompt : prompts) {
    const std::size_t n = loaded.tokenizer->encode(prompt, true, false).size();
    if (n > static_cast<std::size_t>(session.position_limit()))
      throw Error(ErrorCode::context_full,
                  fmt::format("the prompt is {} tokens but the context of {} holds {}", n,
                              args.files.model.empty() ? "the model" : args.files.model,
                              session.position_limit()));
  }
  if (!args.attention_png.empty()) observe_attention(session, args.attention_png, args.heads);
  if (!args.seed && options.sampling.temperature > 0.0f)
    log::info("seed {} (pass --seed to repeat this text)", options.sampling.seed);

  const bool stream = prompts.size() == 1 && !args.json;
  if (stream) write_stdout(prompts[0]);
  const std::vector<GenerationResult> results = generate_batch(
      session, *loaded.tokenizer, prompts, options, [stream](int, int, std::string_view piece) {
        if (stream) write_stdout(piece);
        return true;
      });
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (args.json)
      print_json(prompts[i], static_cast<int>(i), results[i]);
    else if (stream)
      write_stdout("\n");
    else
      write_stdout(prompts[i] + results[i].text + "\n");
    if (results[i].finish_reason == FinishReason::context)
      log::warn("stopped: the context of {} tokens is full{}", session.context_length(),
                session.model().has_learned_positions()
                    ? " (the model learned no positions past it)"
                    : " (--ctx N sets another length; --window W shorter than "
                      "the context runs past it)");
  }
  std::size_t generated = 0, prompt_tokens = 0;
  for (const GenerationResult& r : results) {
    generated += r.tokens.size();
    prompt_tokens += r.prompt_tokens.size();
  }
  const GenerationResult& first = results.front();
  const double tps = first.decode_seconds > 0 && generated > results.size()
                         ? (generated - results.size()) / first.decode_seconds
                         : 0.0;
  log::info("{} prompt tokens, {} generated ({}), prompt {:.1f} ms, {:.1f} tok/s", prompt_tokens,
            generated,
            results.size() == 1 ? finish_reason_name(first.finish_reason)
                                : fmt::format("batch of {}", results.size()),
            first.prompt_seconds * 1e3, tps);
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate text from one or more prompts");
  cmd->add_option("-m,--model", args->files.model,
                  "llama2.c checkpoint or GGUF (default: stories260K)");
  cmd->add_option("-z,--tokenizer", args->files.tokenizer,
                  "tokenizer.bin, SentencePiece .model or GGUF (a GGUF model: its own)");
  cmd->add_option("-p,--prompt", args->prompts, "prompt text (default: empty); repeat for a batch");
  cmd->add_option("--prompts-file", args->prompts_file, "one prompt per line, run as a batch");
  cmd->add_option("-n,--max-new-tokens", args->options.max_new_tokens, "tokens to generate")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_sampling_options(*cmd, args->options.sampling, args->seed);
  cmd->add_option("--stop", args->options.stop, "stop once the text contains this (repeatable)");
  cmd->add_option("-t,--threads", args->threads, "threads (0 = one per core)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--ctx", args->context_length, "context length (default: the model's)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--window", args->window,
                  "sliding-window attention over the last W positions, with a KV cache of only "
                  "those: generation runs past the context (W >= context: plain causal)");
  cmd->add_option("--weight-type", args->weight_type, "f32|bf16|q8 (converted at load)")
      ->capture_default_str();
  cmd->add_flag("--json", args->json,
                "one JSON object per prompt and line: index, prompt, text, tokens, finish_reason");
  cmd->add_option("--attention-png", args->attention_png,
                  "directory for heatmaps of the prompt's attention per layer (heads averaged)");
  cmd->add_flag("--heads", args->heads, "with --attention-png: one heatmap per head too");
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace engine::cli
