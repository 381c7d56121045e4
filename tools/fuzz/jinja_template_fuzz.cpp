// libFuzzer target: the Jinja chat-template lexer, parser and renderer. An input is a template,
// optionally followed by a NUL byte and the JSON that render_json takes (a list of messages or
// an object with "messages" and extra variables); without the NUL a fixed conversation is
// rendered. Any input must render or throw engine::Error: another exception escapes and stops
// the run like a crash, as it would end `engine chat` or turn a server request into a 500.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/chat/chat_template.hpp"
#include "engine/error.hpp"

namespace {

constexpr std::string_view kConversation =
    R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},)"
    R"( {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Why?"}])";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view source = input.substr(0, nul);
  const std::string_view messages =
      nul == std::string_view::npos ? kConversation : input.substr(nul + 1);
  try {
    const engine::ChatTemplate chat_template(std::string(source), "<s>", "</s>");
    // A fixed clock keeps strftime_now() reproducible.
    volatile std::size_t sink = chat_template.render_json(messages, true, 0).size();
    (void)sink;
  } catch (const engine::Error&) {
  }
  return 0;
}
