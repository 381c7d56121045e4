// engine template: print the prompt a chat template makes of a conversation (the template
// test hook, and a way to see exactly what a model is fed).
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/chat_template_choice.hpp"
#include "cli/commands.hpp"
#include "cli/standard_output.hpp"
#include "engine/error.hpp"

namespace engine::cli {
namespace {

struct TemplateArgs {
  std::string model;
  ChatTemplateChoice choice;
  std::string messages;
  bool add_generation_prompt = false;
};

std::string read_messages(const std::string& path) {
  if (path == "-") return {std::istreambuf_iterator<char>(std::cin), {}};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::io, path + ": cannot open");
  return {std::istreambuf_iterator<char>(in), {}};
}

void run_template(const TemplateArgs& args) {
  const ChatTemplate chat_template = choose_chat_template(args.choice, args.model);
  const std::string prompt =
      chat_template.render_json(read_messages(args.messages), args.add_generation_prompt);
  write_stdout(prompt);
}

}  // namespace

void add_template_command(CLI::App& app) {
  auto args = std::make_shared<TemplateArgs>();
  CLI::App* cmd = app.add_subcommand("template", "Print the prompt a chat template renders");
  cmd->add_option("-m,--model", args->model, "GGUF model whose tokenizer.chat_template to use");
  add_chat_template_options(*cmd, args->choice);
  cmd->add_option("--messages", args->messages,
                  "JSON file ('-': stdin): an array of {role, content} messages, or an object "
                  "with \"messages\" and extra variables such as \"tools\"")
      ->required();
  cmd->add_flag("--add-generation-prompt", args->add_generation_prompt,
                "end with the header of the assistant's reply");
  cmd->callback([args] { run_template(*args); });
}

}  // namespace engine::cli
