// engine::Chat keeps the KV cache across turns: each turn prefills only the tokens it adds to
// the rendered conversation, and its greedy reply equals running the whole rendered
// conversation through a fresh session in one go.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/chat/chat.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

// Greedy reply of a fresh session to `prompt` (its tokens prefilled as one block): argmax of
// the logits, fed back one token at a time, until EOS/BOS or `max_new` tokens.
std::vector<int> reply_in_one_go(const std::shared_ptr<const Model>& model,
                                 const Tokenizer& tokenizer, const std::vector<int>& prompt,
                                 int max_new) {
  Session session(model);
  std::span<const float> logits = session.forward(prompt);
  std::vector<int> reply;
  for (int i = 0; i < max_new; ++i) {
    const int next =
        static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (next == tokenizer.eos_id() || next == tokenizer.bos_id()) break;
    reply.push_back(next);
    if (i + 1 < max_new) logits = session.forward(std::span(&next, 1));
  }
  return reply;
}

// A chat format with little markup: stories260K's context is 128 tokens.
const char* kShortTemplate =
    "{% for m in messages %}{{ m.role[0] + ':\\n' + m.content + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}a:\n{% endif %}";

TEST(ChatSession, EachTurnPrefillsOnlyItsNewTokensAndRepliesAsInOneGo) {
  const std::string path = require_model("stories260K.gguf");
  const auto model = Model::load(path);
  const auto tokenizer = load_tokenizer(path);
  const ChatTemplate chatml(kShortTemplate, "", "");
  Session session(model);
  Chat chat(session, *tokenizer, chatml, "Be brief.");
  GenerationOptions options;
  options.max_new_tokens = 8;
  options.sampling.temperature = 0;

  std::vector<ChatMessage> conversation = {{"system", "Be brief."}};
  std::size_t cached_before = 0;
  int turn = 0;
  for (const char* user : {"Tell me a story.", "What did the cat do?", "And then?"}) {
    conversation.push_back({"user", user});
    const std::vector<int> prompt =
        tokenizer->encode(chatml.render(conversation, true), /*add_bos=*/true, false);
    const ChatReply reply = chat.send(user, options);
    ASSERT_EQ(reply.prompt_tokens, static_cast<int>(prompt.size())) << user;
    EXPECT_EQ(reply.reused_tokens, static_cast<int>(cached_before)) << user;
    EXPECT_EQ(reply.prefilled_tokens, static_cast<int>(prompt.size() - cached_before)) << user;
    if (turn++ > 0) {
      EXPECT_LT(reply.prefilled_tokens, static_cast<int>(prompt.size() / 2)) << user;
    }
    EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), chat.cached_tokens().begin())) << user;

    EXPECT_FALSE(reply.tokens.empty()) << user;
    EXPECT_EQ(reply.tokens, reply_in_one_go(model, *tokenizer, prompt, options.max_new_tokens))
        << user;
    conversation.push_back({"assistant", reply.text});
    EXPECT_EQ(chat.messages().size(), conversation.size());
    cached_before = chat.cached_tokens().size();
  }
}

TEST(ChatSession, AReplyThatReencodesDifferentlyKeepsTheCacheBeforeIt) {
  const std::string path = require_model("stories260K.gguf");
  const auto model = Model::load(path);
  const auto tokenizer = load_tokenizer(path);
  // The template writes the assistant's replies upper-cased, so the next turn's rendering
  // differs from the generated tokens in the cache from the reply on.
  const ChatTemplate upper(
      "{% for m in messages %}{{ m.role[0] + ':\\n' }}{% if m.role == 'assistant' %}"
      "{{ m.content | upper }}{% else %}{{ m.content }}{% endif %}{{ '\\n' }}{% endfor %}"
      "{% if add_generation_prompt %}a:\n{% endif %}",
      "", "");
  Session session(model);
  Chat chat(session, *tokenizer, upper);
  GenerationOptions options;
  options.max_new_tokens = 8;
  options.sampling.temperature = 0;
  std::vector<ChatMessage> conversation = {{"user", "Tell me a story."}};
  const std::vector<int> head =
      tokenizer->encode(upper.render(conversation, true), /*add_bos=*/true, false);
  const ChatReply first = chat.send(conversation[0].content, options);
  ASSERT_FALSE(first.tokens.empty());
  const std::vector<int> cached = chat.cached_tokens();

  conversation.push_back({"assistant", first.text});
  conversation.push_back({"user", "And then?"});
  const std::vector<int> prompt =
      tokenizer->encode(upper.render(conversation, true), /*add_bos=*/true, false);
  const auto shared = static_cast<int>(
      std::mismatch(cached.begin(), cached.end(), prompt.begin(), prompt.end()).first -
      cached.begin());
  ASSERT_LT(shared, static_cast<int>(cached.size())) << "the reply re-encoded the same";
  // The first turn's prompt (bar its last token, which may merge with the reply) stays cached.
  ASSERT_GE(shared, static_cast<int>(head.size()) - 1);
  const ChatReply second = chat.send("And then?", options);
  EXPECT_EQ(second.reused_tokens, shared);
  EXPECT_EQ(second.prefilled_tokens, static_cast<int>(prompt.size()) - shared);
  EXPECT_EQ(second.tokens, reply_in_one_go(model, *tokenizer, prompt, options.max_new_tokens));
}

// A chat on stories260K in ChatML, greedy, with `max_new` tokens per reply.
struct StoriesChat {
  StoriesChat(const std::string& system, int max_new)
      : model(Model::load(require_model("stories260K.gguf"))),
        tokenizer(load_tokenizer(require_model("stories260K.gguf"))),
        session(model),
        chat(session, *tokenizer, ChatTemplate::builtin("chatml", "", ""), system) {
    options.max_new_tokens = max_new;
    options.sampling.temperature = 0;
  }
  std::shared_ptr<const Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  Session session;
  Chat chat;
  GenerationOptions options;
};

TEST(ChatSession, ResetKeepsTheSystemMessageAndRereadsFromTheStart) {
  StoriesChat s("Be kind.", 4);
  Chat& chat = s.chat;
  const GenerationOptions& options = s.options;
  const ChatReply first = chat.send("Hello", options);
  chat.reset();
  ASSERT_EQ(chat.messages().size(), 1u);
  EXPECT_EQ(chat.messages()[0].role, "system");
  const ChatReply again = chat.send("Hello", options);
  // Same conversation as the first turn: the cache holds it whole but must run its last
  // token again for logits, so it re-reads; the reply is the same.
  EXPECT_EQ(again.tokens, first.tokens);
  EXPECT_EQ(again.prompt_tokens, first.prompt_tokens);
}

TEST(ChatSession, FullContextDropsTheOldestTurns) {
  StoriesChat s("S", 8);
  Chat& chat = s.chat;
  const GenerationOptions& options = s.options;
  const Session& session = s.session;
  const std::string long_text(session.context_length() / 3, 'a');
  int dropped = 0;
  for (int i = 0; i < 6; ++i) dropped += chat.send(long_text, options).dropped_messages;
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(chat.messages().front().role, "system");
  EXPECT_LT(static_cast<int>(chat.encode_conversation(false).size()), session.position_limit());
}

TEST(ChatSession, TemplateSpecialsAreTokensUserTextNever) {
  StoriesChat s("", 0);
  const Tokenizer& tokenizer = *s.tokenizer;
  // The template writes <s> and </s>; the user types "</s>" too.
  Chat chat(s.session, tokenizer,
            ChatTemplate("{{ bos_token }}{% for m in messages %}[{{ m.content }}]{{ eos_token }}"
                         "{% endfor %}",
                         "<s>", "</s>"));
  const std::string user = "hi </s> there";
  chat.send(user, s.options);
  // One EOS per message (the user's, and the empty reply): parsed user text would add one more,
  // unparsed template text would leave none.
  ASSERT_EQ(chat.messages().size(), 2u);
  const std::vector<int> ids = chat.encode_conversation(false);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), tokenizer.bos_id());
  EXPECT_EQ(ids.back(), tokenizer.eos_id());
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tokenizer.bos_id()), 1);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tokenizer.eos_id()), 2);
}

}  // namespace
}  // namespace engine::test
