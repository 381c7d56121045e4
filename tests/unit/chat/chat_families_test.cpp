// A scripted multi-turn chat on the tiny random model of each family, in its real chat
// template: every greedy reply equals rendering the whole conversation and running it through
// a fresh session in one go, and each turn prefills only the tokens after the longest prefix
// it shares with the cache, even when a reply re-encodes to other tokens than were generated.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "engine/chat/chat.hpp"
#include "greedy_reply.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

struct Family {
  std::string model;          // under models/families/
  std::string template_file;  // under models/chat-templates/, for a file that carries none
  bool system = true;         // whether the template takes a system message
};

void PrintTo(const Family& family, std::ostream* os) {
  *os << family.model;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The file's own template, else the family's real one with the vocabulary's BOS/EOS pieces.
ChatTemplate template_of(const Family& family, const std::string& path,
                         const Tokenizer& tokenizer) {
  if (family.template_file.empty()) {
    std::optional<ChatTemplate> carried = ChatTemplate::from_gguf(path);
    EXPECT_TRUE(carried) << path << " carries no chat template";
    return *carried;
  }
  return ChatTemplate(read_text(require_model("chat-templates/" + family.template_file)),
                      std::string(tokenizer.piece(tokenizer.bos_id())),
                      std::string(tokenizer.piece(tokenizer.eos_id())));
}

// The whole conversation as one prompt: the rendered text with its special-token texts parsed
// (no message here holds any), BOS first unless the template wrote it.
std::vector<int> encode_rendered(const Tokenizer& tokenizer, const ChatTemplate& t,
                                 const std::string& rendered) {
  const bool add_bos = t.bos_token().empty() || !rendered.starts_with(t.bos_token());
  return tokenizer.encode(rendered, {.add_bos = add_bos, .parse_special = true});
}

std::size_t common_prefix(const std::vector<int>& a, const std::vector<int>& b) {
  return static_cast<std::size_t>(std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first -
                                  a.begin());
}

class ChatFamilies : public testing::TestWithParam<Family> {};

TEST_P(ChatFamilies, TurnsReplyAsInOneGoAndPrefillOnlyWhatIsNew) {
  const Family& family = GetParam();
  const std::string path = require_model("families/" + family.model);
  // A short context keeps the KV cache small; the conversation stays well inside it.
  const auto model = Model::load(path, DType::f32, 1024);
  const auto tokenizer = load_tokenizer(path);
  const ChatTemplate chat_template = template_of(family, path, *tokenizer);
  const std::string system = family.system ? "You answer briefly." : "";
  Session session(model);
  Chat chat(session, *tokenizer, chat_template, system);
  GenerationOptions options;
  options.max_new_tokens = 8;
  options.sampling.temperature = 0;

  std::vector<ChatMessage> conversation;
  if (family.system) conversation.push_back({"system", system});
  int prompt_total = 0, prefilled_total = 0, reencoded = 0;
  for (const char* user : {"Hello! Who are you?", "Tell me about the sea, please.",
                           "Why is that? Say more.", "Thanks — and in one word?"}) {
    const std::vector<int> cached_before = chat.cached_tokens();
    conversation.push_back({"user", user});
    const std::vector<int> prompt =
        encode_rendered(*tokenizer, chat_template, chat_template.render(conversation, true));
    const ChatReply reply = chat.send(user, options);
    ASSERT_EQ(reply.prompt_tokens, static_cast<int>(prompt.size())) << user;
    // Only what follows the longest common prefix with the cache runs (a reply that
    // re-encodes differently shortens that prefix to where it starts to differ).
    const int shared = static_cast<int>(common_prefix(cached_before, prompt));
    EXPECT_EQ(reply.reused_tokens, shared) << user;
    EXPECT_EQ(reply.prefilled_tokens, static_cast<int>(prompt.size()) - shared) << user;
    if (shared < static_cast<int>(cached_before.size())) ++reencoded;
    prompt_total += reply.prompt_tokens;
    prefilled_total += reply.prefilled_tokens;

    EXPECT_EQ(reply.tokens,
              greedy_reply_in_one_go(model, *tokenizer, prompt, options.max_new_tokens))
        << user;
    conversation.push_back({"assistant", reply.text});
  }
  // The later turns re-read none of the earlier ones.
  EXPECT_LT(prefilled_total, prompt_total / 2);
  // A random model's replies re-encode to other tokens (a template trims them, or their first
  // token merges with the template's text before it): the case the cache must survive.
  EXPECT_GT(reencoded, 0);
}

INSTANTIATE_TEST_SUITE_P(
    EachFamily, ChatFamilies,
    testing::Values(Family{"llama32-style-f32.gguf", ""}, Family{"qwen25-style-f32.gguf", ""},
                    Family{"phi3-style-f32.gguf", ""},
                    Family{"gemma2-style-f32.gguf", "google-gemma-2-2b-it.jinja", false},
                    Family{"smollm2-style-f32.gguf", "HuggingFaceTB-SmolLM2-Instruct.jinja"},
                    Family{"tinyllama-style-f32.gguf", "TinyLlama-1.1B-Chat-v1.0.jinja"}),
    [](const testing::TestParamInfo<Family>& info) {
      const std::string& name = info.param.model;
      return name.substr(0, name.find('-'));
    });

}  // namespace
}  // namespace engine::test
