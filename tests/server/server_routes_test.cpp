// Every route of `engine serve` answering in OpenAI's (or llama.cpp's) shapes.
#include <gtest/gtest.h>

#include "server_fixture.hpp"

namespace engine::server::test {
namespace {

TEST(ServerRoutes, HealthSaysOkOnceTheModelIsLoaded) {
  TestServer server({});
  const Reply r = server.get("/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["status"], "ok");
}

TEST(ServerRoutes, HealthSays503WhileTheModelLoads) {
  Server server({.host = "127.0.0.1", .port = 0});
  const int port = server.bind();
  std::thread listener([&] { server.listen(); });
  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(json::parse(health->body)["status"], "loading");
  auto completion = client.Post("/v1/completions", R"({"prompt": "a"})", "application/json");
  ASSERT_TRUE(completion);
  EXPECT_EQ(completion->status, 503);
  EXPECT_EQ(json::parse(completion->body)["error"]["code"], "model_loading");
  EXPECT_EQ(completion->get_header_value("Retry-After"), "1");
  server.set_model({"stories260K", load_stories(), load_tok512()});
  health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  server.stop();
  listener.join();
}

TEST(ServerRoutes, ModelsListsTheServedModel) {
  TestServer server({});
  const Reply list = server.get("/v1/models");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body["object"], "list");
  ASSERT_EQ(list.body["data"].size(), 1u);
  EXPECT_EQ(list.body["data"][0]["id"], "stories260K");
  EXPECT_EQ(list.body["data"][0]["object"], "model");
  EXPECT_EQ(server.get("/v1/models/stories260K").body["id"], "stories260K");
  EXPECT_EQ(server.get("/v1/models/gpt-4").status, 404);
}

TEST(ServerRoutes, TokenizeAndDetokenizeMatchTheTokenizer) {
  TestServer server({});
  const std::string text = "Once upon a time, Lily";
  const Reply plain = server.post("/tokenize", json{{"content", text}});
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body["tokens"].get<std::vector<int>>(),
            server.tokenizer->encode(text, false, false));
  const Reply special = server.post("/tokenize", json{{"content", text}, {"add_special", true}});
  EXPECT_EQ(special.body["tokens"].get<std::vector<int>>(),
            server.tokenizer->encode(text, true, false));
  EXPECT_EQ(special.body["tokens"][0], server.tokenizer->bos_id());
  const Reply pieces = server.post("/tokenize", json{{"content", "Once"}, {"with_pieces", true}});
  EXPECT_EQ(pieces.body["tokens"][0]["piece"], "▁Once");

  const Reply back = server.post("/detokenize", json{{"tokens", plain.body["tokens"]}});
  ASSERT_EQ(back.status, 200);
  EXPECT_EQ(back.body["content"], text);
  EXPECT_EQ(server.post("/detokenize", json{{"tokens", {512}}}).status, 400);
}

TEST(ServerRoutes, MetricsCountResponsesTokensAndSlots) {
  TestServer server({.scheduler = {.parallel = 3}});
  const Reply r =
      server.post("/v1/completions",
                  json{{"prompt", "Once upon a time"}, {"max_tokens", 7}, {"temperature", 0}});
  ASSERT_EQ(r.status, 200);
  server.get("/nowhere");
  // A response is counted once written, and the scheduler counts tokens and frees the slot after
  // the last update is sent: the client may see either first.
  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = server.metrics();
    return text.find("engine_requests_total{status=\"404\"} 1") != std::string::npos &&
           metric_value(text, "engine_requests_total{status=\"200\"}") >= 1 &&  // /metrics too
           metric_value(text, "engine_busy_slots") == 0;
  })) << text;
  EXPECT_EQ(metric_value(text, "engine_slots"), 3);
  EXPECT_EQ(metric_value(text, "engine_busy_slots"), 0);
  EXPECT_EQ(metric_value(text, "engine_queue_length"), 0);
  // "Once upon a time" is BOS + 4 tokens.
  EXPECT_EQ(metric_value(text, "engine_prompt_tokens_total"), 5);
  EXPECT_EQ(metric_value(text, "engine_generated_tokens_total"), 7);
  EXPECT_NE(text.find("# TYPE engine_decode_tokens_per_second gauge"), std::string::npos);
}

TEST(ServerRoutes, CompletionHasOpenAisShape) {
  TestServer server({});
  const Reply r = server.post("/v1/completions", json{{"model", "stories260K"},
                                                      {"prompt", "Once upon a time"},
                                                      {"max_tokens", 12},
                                                      {"temperature", 0}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["object"], "text_completion");
  EXPECT_EQ(r.body["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  EXPECT_GT(r.body["created"].get<std::int64_t>(), 1600000000);
  EXPECT_EQ(r.body["model"], "stories260K");
  ASSERT_EQ(r.body["choices"].size(), 1u);
  EXPECT_EQ(r.body["choices"][0]["index"], 0);
  EXPECT_EQ(r.body["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(r.body["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(r.body["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(r.body["usage"]["completion_tokens"], 12);
  EXPECT_EQ(r.body["usage"]["total_tokens"], 17);
}

TEST(ServerRoutes, DefaultMaxTokensIsOpenAis16) {
  TestServer server({});
  const Reply r =
      server.post("/v1/completions", json{{"prompt", "Once upon a time"}, {"temperature", 0}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["usage"]["completion_tokens"], 16);
}

}  // namespace
}  // namespace engine::server::test
