// Requests whose client goes away are dropped within a step; stopping the server ends the streams
// in flight with a last chunk and [DONE].
#include <gtest/gtest.h>

#include "server_fixture.hpp"

namespace engine::server::test {
namespace {

// A prompt of 8000 tokens run one token per step keeps a slot busy for thousands of steps.
constexpr int kLongPrompt = 8000;

ServerOptions slow_prefill() {
  return {.scheduler = {.parallel = 2, .prefill_chunk = 1}};
}

json long_request(bool stream) {
  return {{"prompt", std::vector<int>(kLongPrompt, 300)}, {"max_tokens", 4}, {"stream", stream}};
}

TEST(ServerLifecycle, AClientThatHangsUpCancelsItsRequest) {
  for (const bool stream : {false, true}) {
    TestServer server(slow_prefill(), load_stories(8192));
    {
      httplib::Client client = server.client();
      client.set_read_timeout(0, 300000);  // gives up after 0.3 s: closes the connection
      auto r = client.Post("/v1/completions", long_request(stream).dump(), "application/json");
      EXPECT_FALSE(r && r->status == 200 && !r->body.empty());
    }
    std::string text;
    EXPECT_TRUE(eventually([&] {
      text = server.metrics();
      return metric_value(text, "engine_requests_cancelled_total") == 1 &&
             metric_value(text, "engine_busy_slots") == 0;
    })) << text;
    // Dropped in the middle of its prompt, not run to the end.
    EXPECT_LT(metric_value(text, "engine_prompt_tokens_total"), kLongPrompt) << text;
    EXPECT_EQ(metric_value(text, "engine_generated_tokens_total"), 0) << text;
    // The server goes on serving.
    EXPECT_EQ(server.post("/v1/completions", json{{"prompt", "a"}, {"max_tokens", 2}}).status, 200);
  }
}

TEST(ServerLifecycle, AStreamReaderThatStopsCancelsMidGeneration) {
  TestServer server({});
  json body = {
      {"prompt", "Once upon a time"}, {"max_tokens", 400}, {"temperature", 0}, {"stream", true}};
  const Stream s =
      server.stream("/v1/completions", body,
                    [](const std::vector<std::string>& events) { return events.size() < 3; });
  EXPECT_EQ(s.events.size(), 3u);
  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = server.metrics();
    return metric_value(text, "engine_busy_slots") == 0;
  })) << text;
  // Either dropped mid-way or done already (the tiny model is fast); never left running.
  EXPECT_LE(metric_value(text, "engine_generated_tokens_total"), 400);
}

TEST(ServerLifecycle, StoppingEndsStreamsWithALastChunkAndDone) {
  TestServer server(slow_prefill(), load_stories(8192));
  Stream s;
  std::thread reader([&] { s = server.stream("/v1/completions", long_request(true)); });
  EXPECT_TRUE(eventually([&] { return metric_value(server.metrics(), "engine_busy_slots") == 1; }));
  server.stop();
  reader.join();
  EXPECT_EQ(s.status, 200);
  ASSERT_GE(s.events.size(), 2u);
  EXPECT_EQ(s.events.back(), "[DONE]");
  const json last = json::parse(s.events[s.events.size() - 2]);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  // And nothing is accepted after.
  httplib::Client client = server.client();
  client.set_connection_timeout(1);
  EXPECT_FALSE(client.Get("/health"));
}

TEST(ServerLifecycle, ATimedOutRequestEndsWithLength) {
  TestServer server({.scheduler = {.parallel = 1, .prefill_chunk = 1}, .timeout_seconds = 0.2},
                    load_stories(8192));
  const Reply r = server.post("/v1/completions", long_request(false));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r.body["usage"]["completion_tokens"], 0);
}

}  // namespace
}  // namespace engine::server::test
