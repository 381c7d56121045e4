// engine chat: talk to a model in its chat format. On a terminal, a REPL (Ctrl-C stops the
// reply, /reset, /save FILE, /exit); from a pipe, one user message per line and one reply per
// line. The KV cache carries the conversation: each turn reads only what it adds.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/chat_template_choice.hpp"
#include "cli/commands.hpp"
#include "cli/json_output.hpp"
#include "cli/model_files.hpp"
#include "cli/output_file.hpp"
#include "cli/sampling_options.hpp"
#include "cli/standard_output.hpp"
#include "common/log.hpp"
#include "engine/chat/chat.hpp"
#include "engine/error.hpp"
#include "engine/runtime.hpp"

namespace engine::cli {
namespace {

struct ChatArgs {
  ModelFiles files;
  ChatTemplateChoice choice;
  std::string system;
  GenerationOptions options;
  std::string seed = "-1";  // -1: random, logged
  int threads = 0;
  int context_length = 0;     // 0: the model's
  std::optional<int> window;  // sliding-window attention over the last W positions
  std::string weight_type = "f32";
};

std::atomic<bool> interrupted{false};

void on_interrupt(int) {
  interrupted = true;
}

// Ctrl-C sets `interrupted` (and, without SA_RESTART, interrupts a read at the prompt) instead
// of ending the process.
void catch_interrupts() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

void save_messages(const Chat& chat, const std::string& path) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const ChatMessage& m : chat.messages())
    messages.push_back({{"role", m.role}, {"content", m.content}});
  write_file_atomically(path, dump_json(messages, 2) + "\n");
}

// Handles a /command; returns false for /exit.
bool run_command(Chat& chat, const std::string& line) {
  if (line == "/exit" || line == "/quit") return false;
  if (line == "/reset") {
    chat.reset();
    app::log(LogLevel::info, "conversation reset");
  } else if (line.starts_with("/save ")) {
    const std::string path = line.substr(6);
    save_messages(chat, path);
    app::log(LogLevel::info, "saved {} messages to {}", chat.messages().size(), path);
  } else {
    app::log(LogLevel::warn, "unknown command {} (/reset, /save FILE, /exit)", line);
  }
  return true;
}

void run_chat(const ChatArgs& args) {
  set_num_threads(args.threads);
  GenerationOptions options = args.options;
  options.sampling = seeded(options.sampling, args.seed);
  const ModelFiles files = resolve_model_files(args.files);
  const LoadedModel loaded =
      load_model_and_tokenizer(files, args.context_length, parse_dtype(args.weight_type));
  const ChatTemplate chat_template =
      choose_chat_template(args.choice, files.model, loaded.tokenizer.get());
  Session session(loaded.model, {.window = args.window.value_or(0)});
  Chat chat(session, *loaded.tokenizer, chat_template, args.system);
  log_random_seed(options.sampling, args.seed);

  const bool terminal = ::isatty(STDIN_FILENO) != 0;
  if (terminal) {
    catch_interrupts();
    app::log(LogLevel::info, "chatting with {} (Ctrl-C stops a reply; /reset, /save FILE, /exit)",
             files.model);
  }
  for (;;) {
    if (terminal) write_stdout("> ");
    std::string line;
    interrupted = false;
    if (!std::getline(std::cin, line)) {
      if (terminal) write_stdout("\n");
      return;  // end of input, or Ctrl-C at the prompt
    }
    if (line.empty()) continue;
    if (line.front() == '/') {
      if (!run_command(chat, line)) return;
      continue;
    }
    const ChatReply reply = chat.send(line, options, [](int, std::string_view piece) {
      write_stdout(piece);
      return !interrupted.load();
    });
    write_stdout("\n");
    app::log(LogLevel::debug,
             "turn: {} prompt tokens, {} from the cache, {} prefilled, {} generated ({})",
             reply.prompt_tokens, reply.reused_tokens, reply.prefilled_tokens, reply.tokens.size(),
             finish_reason_name(reply.finish_reason));
    if (reply.finish_reason == FinishReason::context)
      app::log(LogLevel::warn, "the reply stopped: the context of {} tokens is full",
               session.context_length());
  }
}

}  // namespace

void add_chat_command(CLI::App& app) {
  auto args = std::make_shared<ChatArgs>();
  CLI::App* cmd = app.add_subcommand("chat", "Talk to a model in its chat format");
  cmd->add_option("-m,--model", args->files.model, "GGUF (or llama2.c checkpoint) model");
  cmd->add_option("-z,--tokenizer", args->files.tokenizer,
                  "tokenizer.bin, SentencePiece .model or GGUF (a GGUF model: its own)");
  add_chat_template_options(*cmd, args->choice);
  cmd->add_option("--system", args->system, "system message that starts the conversation");
  cmd->add_option("-n,--max-new-tokens", args->options.max_new_tokens, "most tokens per reply")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_sampling_options(*cmd, args->options.sampling, args->seed);
  cmd->add_option("-t,--threads", args->threads, "threads (0 = one per idle CPU)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--ctx", args->context_length, "context length (default: the model's)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--window", args->window,
                  "sliding-window attention over the last W positions (the chat never fills "
                  "the context)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--weight-type", args->weight_type, "f32|bf16|q8 (converted at load)")
      ->capture_default_str();
  cmd->callback([args] { run_chat(*args); });
}

}  // namespace engine::cli
