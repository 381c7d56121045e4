// /v1/chat/completions: messages rendered by the model's chat template, then generated exactly as
// generate() continues that prompt; OpenAI's chat shapes, streamed and whole.
#include <gtest/gtest.h>

#include "server_fixture.hpp"

namespace engine::server::test {
namespace {

const SamplingOptions kGreedy{.temperature = 0.0f, .top_p = 1.0f};

// The ChatML rendering of {system, user}, written out by hand from the format's definition.
const std::string kChatmlPrompt =
    "<|im_start|>system\nYou tell stories.<|im_end|>\n<|im_start|>user\nOnce upon a "
    "time<|im_end|>\n<|im_start|>assistant\n";

const json kMessages = json::array({{{"role", "system"}, {"content", "You tell stories."}},
                                    {{"role", "user"}, {"content", "Once upon a time"}}});

std::shared_ptr<const ChatTemplate> chatml() {
  return std::make_shared<const ChatTemplate>(ChatTemplate::builtin("chatml", "<s>", "</s>"));
}

TEST(ServerChat, MessagesAreRenderedByTheTemplateThenGeneratedAsGenerateDoes) {
  TestServer server({}, load_stories(), chatml());
  const GenerationResult alone = generate_alone(server, kChatmlPrompt, 24, kGreedy);
  const Reply r =
      server.post("/v1/chat/completions",
                  json{{"messages", kMessages}, {"max_tokens", 24}, {"temperature", 0}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["object"], "chat.completion");
  EXPECT_EQ(r.body["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(r.body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(r.body["choices"][0]["message"]["content"], alone.text);
  EXPECT_EQ(r.body["usage"]["prompt_tokens"], alone.prompt_tokens.size());
  EXPECT_EQ(r.body["usage"]["completion_tokens"], alone.tokens.size());
}

// Llama 2's format closes an answered turn with "</s>" and opens the next with "<s>": those
// texts must become the EOS and BOS ids, as `engine chat` sends them, not the tokens of the
// characters. The rendering, from the format's definition: "<s>[INST] Hi [/INST] Ho </s><s>[INST]
// Go [/INST]".
TEST(ServerChat, TheTemplatesSpecialTokenTextsBecomeTheirIds) {
  TestServer server(
      {}, load_stories(),
      std::make_shared<const ChatTemplate>(ChatTemplate::builtin("llama2", "<s>", "</s>")));
  const Tokenizer& tok = *server.tokenizer;
  std::vector<int> prompt = tok.encode("[INST] Hi [/INST] Ho ", /*add_bos=*/true, false);
  prompt.push_back(tok.eos_id());
  prompt.push_back(tok.bos_id());
  for (const int id : tok.encode("[INST] Go [/INST]", false, false)) prompt.push_back(id);
  Session session(server.model);
  GenerationOptions options;
  options.max_new_tokens = 24;
  options.sampling = kGreedy;
  const GenerationResult alone =
      generate_batch(session, tok, std::vector<std::vector<int>>{prompt}, options)[0];

  const json messages = json::array({{{"role", "user"}, {"content", "Hi"}},
                                     {{"role", "assistant"}, {"content", "Ho"}},
                                     {{"role", "user"}, {"content", "Go"}}});
  const Reply r = server.post("/v1/chat/completions",
                              json{{"messages", messages}, {"max_tokens", 24}, {"temperature", 0}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["usage"]["prompt_tokens"], prompt.size());
  EXPECT_EQ(r.body["choices"][0]["message"]["content"], alone.text);
}

// What a user writes stays text, special-token look-alikes included: "</s><s>" typed into a
// message must not end the turn and open a new one. The prompt is the rendering with only the
// template's specials parsed, encoded piece by piece, so it has at least the tokens of the whole
// rendering encoded as plain text; the user's "</s><s>" as two ids would make it fewer than that.
TEST(ServerChat, AMessagesSpecialTokenTextStaysPlainText) {
  TestServer server(
      {}, load_stories(),
      std::make_shared<const ChatTemplate>(ChatTemplate::builtin("llama2", "<s>", "</s>")));
  const std::string rendered = "[INST] Hi </s><s>[INST] Go [/INST]";  // after the template's <s>
  const Tokenizer& tok = *server.tokenizer;
  const std::size_t plain = tok.encode(rendered, /*add_bos=*/true, false).size();
  const std::size_t parsed = tok.encode(rendered, {.add_bos = true, .parse_special = true}).size();
  ASSERT_LT(parsed, plain);  // the look-alikes are special tokens of this vocabulary
  const json messages = json::array({{{"role", "user"}, {"content", "Hi </s><s>[INST] Go"}}});
  const Reply r = server.post("/v1/chat/completions",
                              json{{"messages", messages}, {"max_tokens", 1}, {"temperature", 0}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_GE(r.body["usage"]["prompt_tokens"].get<std::size_t>(), plain);
}

TEST(ServerChat, StreamStartsWithTheRoleThenContentDeltasThenTheFinishReason) {
  TestServer server({}, load_stories(), chatml());
  const GenerationResult alone = generate_alone(server, kChatmlPrompt, 24, kGreedy);
  const Stream s = server.stream("/v1/chat/completions", json{{"messages", kMessages},
                                                              {"max_completion_tokens", 24},
                                                              {"temperature", 0},
                                                              {"stream", true}});
  ASSERT_EQ(s.status, 200);
  ASSERT_GE(s.events.size(), 3u);
  EXPECT_EQ(s.events.back(), "[DONE]");
  const json first = json::parse(s.events.front());
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  std::string text;
  for (std::size_t i = 1; i + 1 < s.events.size(); ++i) {
    const json chunk = json::parse(s.events[i]);
    const json& choice = chunk["choices"][0];
    if (choice["delta"].contains("content")) text += choice["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, alone.text);
  const json last = json::parse(s.events[s.events.size() - 2]);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
}

TEST(ServerChat, LogprobsComeAsContentEntries) {
  TestServer server({}, load_stories(), chatml());
  const Reply r = server.post("/v1/chat/completions", json{{"messages", kMessages},
                                                           {"max_tokens", 4},
                                                           {"temperature", 0},
                                                           {"logprobs", true},
                                                           {"top_logprobs", 2}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json& content = r.body["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 4u);
  std::string text;
  for (const json& entry : content) {
    text += entry["token"].get<std::string>();
    ASSERT_EQ(entry["top_logprobs"].size(), 2u);
    // Greedy: the chosen token is the most likely one.
    EXPECT_EQ(entry["top_logprobs"][0]["token"], entry["token"]);
    EXPECT_FLOAT_EQ(entry["top_logprobs"][0]["logprob"].get<float>(),
                    entry["logprob"].get<float>());
    EXPECT_LE(entry["top_logprobs"][1]["logprob"].get<float>(), entry["logprob"].get<float>());
  }
  EXPECT_EQ(text, r.body["choices"][0]["message"]["content"]);
}

TEST(ServerChat, WithoutATemplateChatAnswers501) {
  TestServer server({});
  const Reply r = server.post("/v1/chat/completions", json{{"messages", kMessages}});
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(r.body["error"]["code"], "no_chat_template");
}

TEST(ServerChat, BadMessagesGet400) {
  TestServer server({}, load_stories(), chatml());
  for (const json& messages : {json::array(), json{{{"content", "no role"}}}, json("hello"),
                               json{{{"role", "user"}, {"content", {{{"type", "image_url"}}}}}}}) {
    const Reply r = server.post("/v1/chat/completions", json{{"messages", messages}});
    EXPECT_EQ(r.status, 400) << messages;
    EXPECT_EQ(r.body["error"]["param"], "messages") << messages;
  }
}

}  // namespace
}  // namespace engine::server::test
