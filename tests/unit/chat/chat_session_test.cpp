// engine::Chat keeps the KV cache across turns: each turn prefills only the tokens it adds to
// the rendered conversation, and its greedy reply equals running the whole rendered
// conversation through a fresh session in one go.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/chat/chat.hpp"
#include "greedy_reply.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

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
    EXPECT_EQ(reply.tokens,
              greedy_reply_in_one_go(model, *tokenizer, prompt, options.max_new_tokens))
        << user;
    conversation.push_back({"assistant", reply.text});
    EXPECT_EQ(chat.messages().size(), conversation.size());
    cached_before = chat.cached_tokens().size();
  }
}

// Two greedy turns on stories260K in a template that writes the assistant's replies
// upper-cased, so the second turn's rendering differs from the generated tokens in the cache
// from the first reply on.
struct UpperCaseTurns {
  explicit UpperCaseTurns(const SessionOptions& options)
      : model(Model::load(require_model("stories260K.gguf"))),
        tokenizer(load_tokenizer(require_model("stories260K.gguf"))),
        options(options) {
    const ChatTemplate upper(
        "{% for m in messages %}{{ m.role[0] + ':\\n' }}{% if m.role == 'assistant' %}"
        "{{ m.content | upper }}{% else %}{{ m.content }}{% endif %}{{ '\\n' }}{% endfor %}"
        "{% if add_generation_prompt %}a:\n{% endif %}",
        "", "");
    Session session(model, options);
    Chat chat(session, *tokenizer, upper);
    generation.max_new_tokens = 8;
    generation.sampling.temperature = 0;
    std::vector<ChatMessage> conversation = {{"user", "Tell me a story."}};
    first_prompt = tokenizer->encode(upper.render(conversation, true), /*add_bos=*/true, false);
    const ChatReply first = chat.send(conversation[0].content, generation);
    EXPECT_FALSE(first.tokens.empty());
    cached = chat.cached_tokens();
    conversation.push_back({"assistant", first.text});
    conversation.push_back({"user", "And then?"});
    prompt = tokenizer->encode(upper.render(conversation, true), /*add_bos=*/true, false);
    shared = static_cast<int>(
        std::mismatch(cached.begin(), cached.end(), prompt.begin(), prompt.end()).first -
        cached.begin());
    second = chat.send("And then?", generation);
  }
  // The second reply a fresh session with the same options gives the second prompt in one go.
  std::vector<int> second_in_one_go() const {
    return greedy_reply_in_one_go(model, *tokenizer, prompt, generation.max_new_tokens, options);
  }

  std::shared_ptr<const Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  SessionOptions options;
  GenerationOptions generation;
  std::vector<int> first_prompt;  // the first turn's prompt
  std::vector<int> cached;        // the cache after the first turn
  std::vector<int> prompt;        // the second turn's prompt
  int shared = 0;                 // tokens it shares with `cached`
  ChatReply second;
};

TEST(ChatSession, AReplyThatReencodesDifferentlyKeepsTheCacheBeforeIt) {
  const UpperCaseTurns turns({});
  ASSERT_LT(turns.shared, static_cast<int>(turns.cached.size())) << "the reply re-encoded the same";
  // The first turn's prompt (bar its last token, which may merge with the reply) stays cached.
  ASSERT_GE(turns.shared, static_cast<int>(turns.first_prompt.size()) - 1);
  EXPECT_EQ(turns.second.reused_tokens, turns.shared);
  EXPECT_EQ(turns.second.prefilled_tokens, static_cast<int>(turns.prompt.size()) - turns.shared);
  EXPECT_EQ(turns.second.tokens, turns.second_in_one_go());
}

TEST(ChatSession, AWindowedChatGoesBackWithinItsRing) {
  // A ring of 64 + 64 - 1 rows has not wrapped yet: it still holds the common prefix.
  const UpperCaseTurns turns({.window = 64});
  ASSERT_LT(static_cast<int>(turns.cached.size()), 127);
  EXPECT_EQ(turns.second.reused_tokens, turns.shared);
  EXPECT_EQ(turns.second.tokens, turns.second_in_one_go());
}

TEST(ChatSession, AWindowedChatRereadsWhatItsRingLost) {
  // A ring of 8 + 4 - 1 rows can go back 4 positions, less than the reply that differs.
  const UpperCaseTurns turns({.window = 8, .block = 4});
  ASSERT_GT(static_cast<int>(turns.cached.size()) - turns.shared, 4);
  EXPECT_EQ(turns.second.reused_tokens, 0);
  EXPECT_EQ(turns.second.prefilled_tokens, static_cast<int>(turns.prompt.size()));
  EXPECT_EQ(turns.second.tokens, turns.second_in_one_go());
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

TEST(ChatSession, ResetKeepsTheSystemMessage) {
  StoriesChat s("Be kind.", 4);
  Chat& chat = s.chat;
  const GenerationOptions& options = s.options;
  const ChatReply first = chat.send("Hello", options);
  chat.reset();
  ASSERT_EQ(chat.messages().size(), 1u);
  EXPECT_EQ(chat.messages()[0].role, "system");
  const ChatReply again = chat.send("Hello", options);
  // Same conversation as the first turn: the cache holds it whole (and the first reply after
  // it) but runs its last token again for the logits; the reply is the same.
  EXPECT_EQ(again.tokens, first.tokens);
  EXPECT_EQ(again.prompt_tokens, first.prompt_tokens);
  EXPECT_EQ(again.prefilled_tokens, 1);
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
