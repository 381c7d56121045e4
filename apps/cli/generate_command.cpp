// engine generate: continue one or more prompts. One prompt streams to stdout as it is
// produced; several run as one batch (left-padded, one forward pass per step) and print in
// order when done. --json prints one object per prompt and line instead.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/attention_pictures.hpp"
#include "cli/chat_template_choice.hpp"
#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/json_output.hpp"
#include "cli/model_files.hpp"
#include "cli/option_checks.hpp"
#include "cli/sampling_options.hpp"
#include "cli/standard_output.hpp"
#include "common/log.hpp"
#include "engine/chat/chat.hpp"
#include "engine/error.hpp"
#include "engine/generation/generator.hpp"
#include "engine/runtime.hpp"

namespace engine::cli {
namespace {

struct GenerateArgs {
  ModelFiles files;
  std::vector<std::string> prompts;
  std::string prompts_file;
  std::string prompt_file;  // -f: one prompt, the whole file ("-": stdin)
  bool escapes = false;     // -e: \n, \t, \\ ... in prompts
  bool display_prompt = true;
  bool chat = false;  // --chat: each prompt is a user message in the model's chat template
  ChatTemplateChoice chat_template;
  std::string system;  // --system: the system message before each prompt with --chat
  int batch_size = 4;  // prompts run together; more at once is faster and takes more memory
  GenerationOptions options;
  std::string seed = "-1";  // -1: random, logged
  int threads = 0;
  int context_length = 0;     // 0: the model's
  std::optional<int> window;  // sliding-window attention over the last W positions
  std::string weight_type = "f32";
  bool json = false;
  AttentionPictureOptions pictures;  // --attention-png, --heads, --scale
};

// -e: the escapes llama.cpp's -e understands in a prompt (\n \r \t \\ \" \' and \xHH); any
// other backslash stays as it is.
std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char c = text[++i];
    if (c == 'n')
      out += '\n';
    else if (c == 'r')
      out += '\r';
    else if (c == 't')
      out += '\t';
    else if (c == '\\' || c == '"' || c == '\'')
      out += c;
    else if (c == 'x' && i + 2 < text.size() &&
             std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
             std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += '\\';
      out += c;
    }
  }
  return out;
}

// -f FILE: the whole file is one prompt; "-" reads standard input.
std::string read_prompt_file(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file)
      throw Error(ErrorCode::io, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> read_prompts(const GenerateArgs& args) {
  std::vector<std::string> prompts = args.prompts;
  if (!args.prompt_file.empty()) prompts.push_back(read_prompt_file(args.prompt_file));
  if (args.escapes)
    for (std::string& prompt : prompts) prompt = unescape(prompt);
  if (!args.prompts_file.empty()) {
    std::ifstream in(args.prompts_file);
    if (!in)
      throw Error(ErrorCode::io,
                  fmt::format("{}: cannot open: {}", args.prompts_file, std::strerror(errno)));
    // One prompt a line; Windows line ends lose their \r, and blank lines are skipped.
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) prompts.push_back(line);
    }
    if (prompts.empty())
      throw Error(ErrorCode::invalid_argument, fmt::format("{}: no prompts", args.prompts_file));
  }
  if (prompts.empty()) prompts.emplace_back();  // no prompt: generate from BOS alone
  return prompts;
}

// --chat: each prompt as the one user message (after the --system message) of a conversation
// in the chat template, ready for the assistant's reply; the template's special-token texts
// become their ids, the prompt's text never does.
std::vector<std::vector<int>> encode_chat_prompts(const GenerateArgs& args,
                                                  const std::string& model_path,
                                                  const Tokenizer& tokenizer,
                                                  std::span<const std::string> prompts) {
  const ChatTemplate chat_template =
      choose_chat_template(args.chat_template, model_path, &tokenizer);
  std::vector<std::vector<int>> encoded;
  for (const std::string& prompt : prompts) {
    std::vector<ChatMessage> messages;
    if (!args.system.empty()) messages.push_back({"system", args.system});
    messages.push_back({"user", prompt});
    encoded.push_back(encode_chat(tokenizer, chat_template, messages, true));
  }
  return encoded;
}

// What the summary line reports, summed over the batches: prefill (the prompt blocks and
// their first samples) and decode (the steps after) separately.
struct RunTotals {
  std::size_t prompt_tokens = 0, first_tokens = 0, generated = 0;
  double prompt_seconds = 0, decode_seconds = 0;
  std::string finish;

  void add(const std::vector<GenerationResult>& results) {
    for (const GenerationResult& r : results) {
      prompt_tokens += r.prompt_tokens.size();
      generated += r.tokens.size();
      first_tokens += r.tokens.empty() ? 0 : 1;
    }
    prompt_seconds += results.front().prompt_seconds;
    decode_seconds += results.front().decode_seconds;
    finish = finish_reason_name(results.front().finish_reason);
  }

  // "N prompt tokens, M generated (reason); prefill X ms (rate), decode Z ms (rate)": the
  // decode part only when steps after the first token ran.
  std::string summary(const std::string& batches) const {
    const std::size_t decoded = generated - first_tokens;
    std::string line = fmt::format(
        "{} prompt tokens, {} generated{}; prefill {:.1f} ms ({:.0f} tok/s)", prompt_tokens,
        generated, batches.empty() ? fmt::format(" ({})", finish) : batches, prompt_seconds * 1e3,
        prompt_seconds > 0 ? prompt_tokens / prompt_seconds : 0.0);
    if (decoded > 0 && decode_seconds > 0)
      line += fmt::format(", decode {:.1f} ms ({:.1f} tok/s)", decode_seconds * 1e3,
                          decoded / decode_seconds);
    return line;
  }
};

// --n-probs: per generated token, its log-probability and the most likely tokens', each with
// its text where it stands (after the token before it).
nlohmann::ordered_json logprobs_json(const GenerationResult& r, const Tokenizer& tokenizer) {
  nlohmann::ordered_json tokens = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < r.probabilities.size(); ++i) {
    const TokenProbabilities& p = r.probabilities[i];
    const int prev = i == 0 ? r.prompt_tokens.back() : r.tokens[i - 1];
    nlohmann::ordered_json top = nlohmann::ordered_json::array();
    for (const auto& [id, logprob] : p.top)
      top.push_back({{"token", id}, {"text", tokenizer.decode(prev, id)}, {"logprob", logprob}});
    tokens.push_back({{"token", p.token},
                      {"text", tokenizer.decode(prev, p.token)},
                      {"logprob", p.logprob},
                      {"top_logprobs", std::move(top)}});
  }
  return tokens;
}

void print_json(const std::string& prompt, int index, const GenerationResult& r,
                const Tokenizer& tokenizer, bool with_logprobs) {
  nlohmann::ordered_json line = {{"index", index},
                                 {"prompt", prompt},
                                 {"text", r.text},
                                 {"tokens", r.tokens},
                                 {"finish_reason", finish_reason_name(r.finish_reason)}};
  if (with_logprobs) line["logprobs"] = logprobs_json(r, tokenizer);
  write_stdout(dump_json(line) + "\n");
}

void run_generate(const GenerateArgs& args) {
  set_num_threads(args.threads);
  GenerationOptions options = args.options;
  if (options.max_new_tokens < 0) options.max_new_tokens = std::numeric_limits<int>::max();
  options.sampling = seeded(options.sampling, args.seed);
  if (args.window && *args.window < 1)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("--window must be at least 1, got {}", *args.window));
  // A windowed prompt runs in chunks over a ring of cache slots: no one picture of positions.
  if (args.window && !args.pictures.dir.empty())
    throw Error(ErrorCode::invalid_argument, "--attention-png does not combine with --window");
  const std::vector<std::string> prompts = read_prompts(args);

  const ModelFiles files = resolve_model_files(args.files);
  const LoadedModel loaded =
      load_model_and_tokenizer(files, args.context_length, parse_dtype(args.weight_type));
  const std::vector<std::vector<int>> chat_prompts =
      args.chat ? encode_chat_prompts(args, files.model, *loaded.tokenizer, prompts)
                : std::vector<std::vector<int>>{};
  const std::size_t batch = std::min<std::size_t>(args.batch_size, prompts.size());
  Session session(loaded.model,
                  {.max_batch = static_cast<int>(batch), .window = args.window.value_or(0)});
  app::log(LogLevel::debug, "KV cache: {:.1f} KiB ({})", session.memory_bytes() / 1024.0,
           session.window() ? fmt::format("a ring for a window of {}", session.window())
                            : fmt::format("{} positions", session.context_length()));
  if (args.window && session.window() == 0)
    app::log(LogLevel::warn,
             "--window {} covers the whole context of {}: plain causal attention, which stops "
             "when the context is full",
             *args.window, session.context_length());
  // Fail on a prompt that cannot fit before printing anything (with a RoPE model's window any
  // prompt fits).
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const std::size_t n = args.chat ? chat_prompts[i].size()
                                    : loaded.tokenizer->encode(prompts[i], true, false).size();
    if (n > static_cast<std::size_t>(session.position_limit()))
      throw Error(ErrorCode::context_full,
                  fmt::format("the prompt is {} tokens but the context of {} holds {}", n,
                              args.files.model.empty() ? "the model" : args.files.model,
                              session.position_limit()));
  }
  std::optional<AttentionPictures> pictures;
  if (!args.pictures.dir.empty()) {
    std::vector<std::vector<int>> prompt_tokens = chat_prompts;
    if (!args.chat)
      for (const std::string& prompt : prompts)
        prompt_tokens.push_back(loaded.tokenizer->encode(prompt, true, false));
    pictures.emplace(args.pictures, *loaded.tokenizer, prompt_tokens, session);
  }
  log_random_seed(options.sampling, args.seed);

  const bool stream = prompts.size() == 1 && !args.json;
  // A chat prompt is a message the reply answers, not text it continues: only the reply shows.
  const bool display_prompt = args.display_prompt && !args.chat;
  catch_interrupts();  // Ctrl-C stops at the next token: the line ends and the summary prints
  if (stream && display_prompt) write_stdout(prompts[0]);
  // Batches of --batch-size prompts, one after the other: each sequence samples from its own
  // generator, so the grouping changes no text, only the memory and the speed.
  RunTotals totals;
  for (std::size_t begin = 0; begin < prompts.size() && !interrupted(); begin += batch) {
    const std::span<const std::string> group =
        std::span(prompts).subspan(begin, std::min(batch, prompts.size() - begin));
    if (pictures) pictures->begin_batch(begin);
    const BatchTokenCallback show = [stream](int, int, std::string_view piece) {
      if (stream) write_stdout(piece);
      return !interrupted();
    };
    const std::vector<GenerationResult> results =
        args.chat
            ? generate_batch(session, *loaded.tokenizer,
                             std::span(chat_prompts).subspan(begin, group.size()), options, show)
            : generate_batch(session, *loaded.tokenizer, group, options, show);
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (args.json)
        print_json(group[i], static_cast<int>(begin + i), results[i], *loaded.tokenizer,
                   options.n_probs > 0);
      else if (stream)
        write_stdout("\n");
      else
        write_stdout((display_prompt ? group[i] : "") + results[i].text + "\n");
      if (results[i].finish_reason == FinishReason::context)
        app::log(LogLevel::warn, "stopped: the context of {} tokens is full{}",
                 session.context_length(),
                 session.model().has_learned_positions()
                     ? " (the model learned no positions past it)"
                     : " (--ctx N sets another length; --window W shorter than "
                       "the context runs past it)");
    }
    totals.add(results);
  }
  app::log(LogLevel::info, "{}",
           totals.summary(prompts.size() == 1 ? ""
                                              : fmt::format(" ({} prompts in batches of {})",
                                                            prompts.size(), batch)));
  if (interrupted()) end_as_interrupted();
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
  cmd->add_option("-f,--file", args->prompt_file, "one prompt: the whole file (- = stdin)");
  cmd->add_flag("-e,--escape", args->escapes,
                "process \\n, \\t, \\\\, \\\", \\' and \\xHH in prompts");
  cmd->add_flag("!--no-display-prompt", args->display_prompt,
                "print only the generated text, not the prompt before it");
  CLI::Option* chat =
      cmd->add_flag("--chat", args->chat,
                    "each prompt is a user message in the model's chat template (or "
                    "--chat-template); prints only the reply");
  add_chat_template_options(*cmd, args->chat_template);
  cmd->add_option("--system", args->system, "with --chat: the system message before each prompt");
  for (const char* name : {"--chat-template", "--bos", "--eos", "--system"})
    cmd->get_option(name)->needs(chat);
  cmd->add_option("--prompts-file", args->prompts_file,
                  "one prompt per line (blank lines skipped), run in batches");
  cmd->add_option("-b,--batch-size", args->batch_size,
                  "prompts generated together, one forward pass per step for all")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("-n,--max-new-tokens,--n-predict", args->options.max_new_tokens,
                  "tokens to generate; -1 = until the end of generation or of the context")
      ->check(whole_number_at_least(-1))
      ->capture_default_str();
  add_sampling_options(*cmd, args->options.sampling, args->seed);
  cmd->add_option("--stop", args->options.stop, "stop once the text contains this (repeatable)");
  cmd->add_flag("--ignore-eos", args->options.ignore_eos,
                "never end at an end-of-generation token: run to -n, the context or --stop");
  cmd->add_option("-t,--threads", args->threads, "threads (0 = one per idle CPU)")
      ->check(whole_number_at_least(0));
  cmd->add_option("-c,--ctx,--ctx-size", args->context_length,
                  "context length (default: the model's)")
      ->check(whole_number_at_least(1));
  cmd->add_option("--window", args->window,
                  "sliding-window attention over the last W positions, with a KV cache of only "
                  "those: generation runs past the context (W >= context: plain causal)");
  cmd->add_option("--weight-type", args->weight_type, "f32|bf16|q8 (converted at load)")
      ->capture_default_str();
  CLI::Option* json =
      cmd->add_flag("--json", args->json,
                    "one JSON object per prompt and line: index, prompt, text, tokens, "
                    "finish_reason");
  cmd->add_option("--n-probs", args->options.n_probs,
                  "with --json: each token's log-probability and the K most likely tokens' "
                  "(logprobs)")
      ->check(whole_number_at_least(0))
      ->needs(json);
  add_attention_picture_options(*cmd, args->pictures);
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace engine::cli
