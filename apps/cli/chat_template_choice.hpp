// Which chat template a command uses: --chat-template FILE or a built-in NAME, else the one the
// -m GGUF carries; BOS/EOS texts from --bos/--eos, else the model's tokenizer.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "engine/chat/chat_template.hpp"
#include "engine/tokenizer.hpp"

namespace engine::cli {

struct ChatTemplateChoice {
  std::string chat_template;  ///< a .jinja file or a built-in name; empty: the model's
  std::optional<std::string> bos;
  std::optional<std::string> eos;
};

/// Adds --chat-template, --bos and --eos.
void add_chat_template_options(CLI::App& cmd, ChatTemplateChoice& choice);

/// The chosen template for `model_path` (may be empty with --chat-template), BOS/EOS texts
/// from `tokenizer` when given, else from the model file's. Throws engine::Error
/// (invalid_argument) when the model carries no template and none was chosen.
ChatTemplate choose_chat_template(const ChatTemplateChoice& choice, const std::string& model_path,
                                  const Tokenizer* tokenizer = nullptr);

}  // namespace engine::cli
