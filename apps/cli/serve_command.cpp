// engine serve: the OpenAI-compatible HTTP server (server/). It listens first and loads the
// model in the background, so /health says 503 until the model is ready; SIGINT or SIGTERM stops
// accepting, ends the streams in flight with their last chunk and exits 0.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "cli/commands.hpp"
#include "cli/model_files.hpp"
#include "common/log.hpp"
#include "engine/error.hpp"
#include "engine/runtime.hpp"
#include "server/server.hpp"

namespace engine::cli {
namespace {

struct ServeArgs {
  ModelFiles files;
  server::ServerOptions options;
  std::string alias;          // the model's name in the API (default: the file's stem)
  std::string chat_template;  // a built-in template's name (default: the GGUF's own)
  int context_length = 0;
  std::string weight_type = "f32";
};

// The template that renders chat messages: the named built-in, else the one the GGUF carries.
std::shared_ptr<const ChatTemplate> chat_template_for(const std::string& name,
                                                      const std::string& model_path,
                                                      const Tokenizer& tokenizer) {
  if (name.empty()) {
    std::optional<ChatTemplate> own = ChatTemplate::from_gguf(model_path);
    if (!own)
      app::log(LogLevel::info, "the model carries no chat template: chat completions answer 501");
    return own ? std::make_shared<const ChatTemplate>(std::move(*own)) : nullptr;
  }
  const auto text = [&](int id) { return id >= 0 ? std::string(tokenizer.piece(id)) : ""; };
  return std::make_shared<const ChatTemplate>(
      ChatTemplate::builtin(name, text(tokenizer.bos_id()), text(tokenizer.eos_id())));
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

void run_serve(ServeArgs args) {
  // Signals wait for sigwait() below: every thread started from here on inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  set_num_threads(args.options.scheduler.threads);  // a bad -t fails here, before listening
  server::ServerOptions& options = args.options;
  // Without -t that counted the free CPUs (sampling /proc/stat for a moment): the scheduler's
  // thread takes the count as it is rather than sampling again while the model loads.
  options.scheduler.threads = num_threads();
  if (options.api_key.empty())
    if (const char* key = std::getenv("ENGINE_API_KEY")) options.api_key = key;
  if (!is_loopback(options.host) && options.api_key.empty())
    app::log(LogLevel::warn,
             "listening on {} without an API key: anyone who can reach it can use it",
             options.host);
  const ModelFiles files = resolve_model_files(args.files);
  server::Server server(options);
  const int port = server.bind();
  app::log(LogLevel::info, "listening on http://{}:{}", options.host, port);
  std::thread http([&] { server.listen(); });

  std::exception_ptr load_error;
  std::thread loader([&] {
    try {
      LoadedModel loaded =
          load_model_and_tokenizer(files, args.context_length, parse_dtype(args.weight_type));
      const std::string name =
          args.alias.empty() ? std::filesystem::path(files.model).stem().string() : args.alias;
      auto chat_template = chat_template_for(args.chat_template, files.model, *loaded.tokenizer);
      server.set_model({name, loaded.model, std::move(loaded.tokenizer), chat_template});
      app::log(LogLevel::info, "serving {} ({} slots, context {})", name,
               options.scheduler.parallel, loaded.model->config().seq_len);
    } catch (...) {
      load_error = std::current_exception();
      kill(getpid(), SIGTERM);  // wakes sigwait below
    }
  });
  int signal = 0;
  sigwait(&stop_signals, &signal);
  if (!load_error)
    app::log(LogLevel::info, "{}: stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
  server.stop();
  loader.join();
  http.join();
  if (load_error) std::rethrow_exception(load_error);
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  server::ServerOptions& o = args->options;
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API");
  cmd->add_option("-m,--model", args->files.model,
                  "llama2.c checkpoint or GGUF (default: stories260K)");
  cmd->add_option("-z,--tokenizer", args->files.tokenizer,
                  "tokenizer.bin, SentencePiece .model or GGUF (a GGUF model: its own)");
  cmd->add_option("--alias", args->alias, "the model's name in the API (default: the file's stem)");
  cmd->add_option("--chat-template", args->chat_template,
                  "built-in chat template for /v1/chat/completions: chatml, llama2, llama3, gemma, "
                  "phi3, zephyr (default: the GGUF's own)");
  cmd->add_option("--host", o.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", o.port, "port (0: any free one, logged)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--parallel", o.scheduler.parallel, "requests generating at once (slots)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--queue", o.scheduler.queue, "requests waiting for a slot; more get 503")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--prefill-chunk", o.scheduler.prefill_chunk,
                  "prompt tokens run per step across the slots, beside their decode steps")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-body", o.max_body, "largest request body in bytes; more get 413")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--api-key", o.api_key,
                  "require 'Authorization: Bearer KEY' (default: $ENGINE_API_KEY; none: open)");
  cmd->add_option("--timeout", o.timeout_seconds,
                  "seconds a request may take, queueing included (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--ctx", args->context_length, "context length (default: the model's)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-t,--threads", o.scheduler.threads, "kernel threads (0 = one per idle CPU)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--weight-type", args->weight_type, "f32|bf16|q8 (converted at load)")
      ->capture_default_str();
  cmd->callback([args] { run_serve(*args); });
}

}  // namespace engine::cli
