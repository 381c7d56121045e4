#include "engine/chat/chat_template.hpp"

#include "chat/builtin_templates.hpp"
#include "chat/jinja_parser.hpp"
#include "chat/jinja_renderer.hpp"
#include "format/gguf_file.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

// The text of token `key`'s id in the GGUF vocabulary, "" when the file names none.
std::string token_text(const GgufFile& gguf, std::string_view key,
                       const std::vector<std::string_view>& tokens) {
  const auto id = gguf.find<std::uint64_t>(key);
  if (!id || *id >= tokens.size()) return "";
  return std::string(tokens[*id]);
}

}  // namespace

ChatTemplate::ChatTemplate(std::string source, std::string bos_token, std::string eos_token)
    : source_(std::move(source)),
      template_(std::make_shared<const jinja::Template>(jinja::parse(source_))),
      bos_token_(std::move(bos_token)),
      eos_token_(std::move(eos_token)) {}

ChatTemplate ChatTemplate::builtin(std::string_view name, std::string bos_token,
                                   std::string eos_token) {
  return ChatTemplate(std::string(builtin_template_source(name)), std::move(bos_token),
                      std::move(eos_token));
}

std::optional<ChatTemplate> ChatTemplate::from_gguf(const std::string& path) {
  if (!is_gguf_file(path)) return std::nullopt;
  const MappedFile file(path);
  const GgufFile gguf({file.data(), file.size()}, path);
  const auto source = gguf.find<std::string_view>("tokenizer.chat_template");
  if (!source) return std::nullopt;
  const auto tokens = gguf.find<std::vector<std::string_view>>("tokenizer.ggml.tokens")
                          .value_or(std::vector<std::string_view>{});
  return ChatTemplate(std::string(*source), token_text(gguf, "tokenizer.ggml.bos_token_id", tokens),
                      token_text(gguf, "tokenizer.ggml.eos_token_id", tokens));
}

std::string ChatTemplate::render(std::span<const ChatMessage> messages,
                                 bool add_generation_prompt) const {
  jinja::Json list = jinja::Json::array();
  for (const ChatMessage& m : messages) list.push_back({{"role", m.role}, {"content", m.content}});
  jinja::Json variables = {{"messages", std::move(list)},
                           {"add_generation_prompt", add_generation_prompt},
                           {"bos_token", bos_token_},
                           {"eos_token", eos_token_}};
  return jinja::render(*template_, variables, std::nullopt);
}

std::string ChatTemplate::render_json(std::string_view messages_json, bool add_generation_prompt,
                                      std::optional<std::time_t> now) const {
  jinja::Json parsed = jinja::Json::parse(messages_json, nullptr, false);
  if (parsed.is_array()) parsed = jinja::Json{{"messages", std::move(parsed)}};
  if (!parsed.is_object() || !parsed.contains("messages") || !parsed["messages"].is_array())
    throw Error(ErrorCode::invalid_argument,
                "chat messages must be a JSON array of messages or an object with \"messages\"");
  parsed["add_generation_prompt"] = add_generation_prompt;
  if (!parsed.contains("bos_token")) parsed["bos_token"] = bos_token_;
  if (!parsed.contains("eos_token")) parsed["eos_token"] = eos_token_;
  return jinja::render(*template_, parsed, now);
}

}  // namespace engine
