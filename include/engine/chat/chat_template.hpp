// Chat templates: the Jinja text a model's GGUF carries (tokenizer.chat_template) that turns a
// conversation into the prompt the model was trained on, rendered by the project's own Jinja
// subset the way Hugging Face's apply_chat_template calls jinja2.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace engine {

struct ChatMessage {
  std::string role;
  std::string content;
};

namespace jinja {
struct Template;
}

class ChatTemplate {
 public:
  /// Parses a Jinja chat template; throws engine::Error naming the construct and line:column.
  ChatTemplate(std::string source, std::string bos_token, std::string eos_token);
  /// A built-in template by name: chatml, llama2, llama3, gemma, phi3, zephyr.
  static ChatTemplate builtin(std::string_view name, std::string bos_token, std::string eos_token);
  /// The template a GGUF file carries (tokenizer.chat_template) with its BOS/EOS token texts, or
  /// nullopt.
  static std::optional<ChatTemplate> from_gguf(const std::string& path);

  /// The prompt for `messages`; throws engine::Error for raise_exception or an unsupported
  /// construct.
  std::string render(std::span<const ChatMessage> messages, bool add_generation_prompt) const;

  /// The prompt for `messages_json`: a JSON array of messages (any fields: tool_calls, ...) or
  /// an object with "messages" and extra variables (tools, date_string, ...). bos_token and
  /// eos_token are added unless the object has them. strftime_now() formats `now` (UTC) when
  /// given, else the local time. Throws engine::Error (invalid_argument) for other JSON.
  std::string render_json(std::string_view messages_json, bool add_generation_prompt,
                          std::optional<std::time_t> now = std::nullopt) const;

  /// The Jinja source, and the BOS/EOS texts it renders bos_token/eos_token as.
  const std::string& source() const { return source_; }
  const std::string& bos_token() const { return bos_token_; }
  const std::string& eos_token() const { return eos_token_; }

 private:
  std::string source_;
  std::shared_ptr<const jinja::Template> template_;
  std::string bos_token_;
  std::string eos_token_;
};

}  // namespace engine
