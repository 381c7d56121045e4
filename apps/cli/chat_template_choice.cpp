#include "cli/chat_template_choice.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/error.hpp"

namespace engine::cli {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::io, path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void add_chat_template_options(CLI::App& cmd, ChatTemplateChoice& choice) {
  cmd.add_option("--chat-template", choice.chat_template,
                 "a Jinja chat template file, or a built-in one: chatml, llama2, llama3, gemma, "
                 "phi3, zephyr (default: the model's tokenizer.chat_template)");
  cmd.add_option("--bos", choice.bos, "the text of bos_token (default: the model's BOS piece)");
  cmd.add_option("--eos", choice.eos, "the text of eos_token (default: the model's EOS piece)");
}

ChatTemplate choose_chat_template(const ChatTemplateChoice& choice, const std::string& model_path,
                                  const Tokenizer* tokenizer) {
  std::optional<ChatTemplate> carried;
  if (choice.chat_template.empty()) {
    if (model_path.empty())
      throw Error(ErrorCode::invalid_argument,
                  "no chat template: give -m MODEL or --chat-template");
    carried = ChatTemplate::from_gguf(model_path);
    if (!carried)
      throw Error(ErrorCode::invalid_argument,
                  model_path +
                      " carries no chat template (tokenizer.chat_template): choose one "
                      "with --chat-template FILE or chatml, llama2, llama3, gemma, phi3, "
                      "zephyr");
  }
  std::string bos = choice.bos.value_or(carried ? carried->bos_token() : "");
  std::string eos = choice.eos.value_or(carried ? carried->eos_token() : "");
  if (!carried && !model_path.empty() && (!choice.bos || !choice.eos)) {
    std::unique_ptr<Tokenizer> loaded;
    if (!tokenizer) tokenizer = (loaded = load_tokenizer(model_path)).get();
    if (!choice.bos && tokenizer->bos_id() >= 0) bos = tokenizer->piece(tokenizer->bos_id());
    if (!choice.eos && tokenizer->eos_id() >= 0) eos = tokenizer->piece(tokenizer->eos_id());
  }
  if (carried) return ChatTemplate(carried->source(), std::move(bos), std::move(eos));
  if (std::filesystem::is_regular_file(choice.chat_template))
    return ChatTemplate(read_file(choice.chat_template), std::move(bos), std::move(eos));
  return ChatTemplate::builtin(choice.chat_template, std::move(bos), std::move(eos));
}

}  // namespace engine::cli
