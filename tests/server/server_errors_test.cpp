// Every refusal is an OpenAI error object with the right status, and leaves the server serving.
#include <gtest/gtest.h>

#include <chrono>

#include "server_fixture.hpp"

namespace engine::server::test {
namespace {

void expect_error(const Reply& r, int status, const std::string& param = {},
                  const std::string& code = {}) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(r.body.contains("error")) << r.body;
  EXPECT_TRUE(r.body["error"]["message"].is_string());
  EXPECT_FALSE(r.body["error"]["message"].get<std::string>().empty());
  EXPECT_TRUE(r.body["error"]["type"].is_string());
  if (!param.empty()) {
    EXPECT_EQ(r.body["error"]["param"], param) << r.body;
  }
  if (!code.empty()) {
    EXPECT_EQ(r.body["error"]["code"], code) << r.body;
  }
}

TEST(ServerErrors, BadRequestsGet400NamingTheField) {
  TestServer server({});
  expect_error(server.post("/v1/completions", std::string("{\"prompt\": ")), 400);
  expect_error(server.post("/v1/completions", std::string("[1, 2]")), 400);
  // JSON allows numbers that overflow a double; the parser refuses them with its own exception.
  expect_error(server.post("/v1/completions", std::string(R"({"prompt": "a", "top_p": 1e400})")),
               400);
  expect_error(server.post("/v1/completions", json::object()), 400, "prompt");
  expect_error(server.post("/v1/completions", json{{"prompt", 5}}), 400, "prompt");
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"max_tokens", "ten"}}), 400,
               "max_tokens");
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"max_tokens", 0}}), 400,
               "max_tokens");
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"temperature", -1}}), 400,
               "temperature");
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"top_p", 0}}), 400, "top_p");
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"top_k", 1.5}}), 400, "top_k");
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"stop", {1, 2}}}), 400,
               "stop");
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"stream", "yes"}}), 400,
               "stream");
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"n", 2}}), 400, "n");
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"presence_penalty", 3}}), 400,
               "presence_penalty");
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"frequency_penalty", -2.5}}),
               400, "frequency_penalty");
  expect_error(server.post("/v1/completions", json{{"prompt", {1, 600}}}), 400, "prompt");
  expect_error(server.post("/tokenize", json{{"content", 3}}), 400, "content");
  // Fields OpenAI clients send at their defaults are fine.
  EXPECT_EQ(server
                .post("/v1/completions", json{{"prompt", "a"},
                                              {"max_tokens", 2},
                                              {"n", 1},
                                              {"presence_penalty", 0},
                                              {"user", "me"}})
                .status,
            200);
}

TEST(ServerErrors, APromptLongerThanTheContextGets400) {
  TestServer server({});
  const std::vector<int> ids(513, 300);  // the context holds 512
  expect_error(server.post("/v1/completions", json{{"prompt", ids}}), 400, "prompt",
               "context_length_exceeded");
  const std::vector<int> fits(512, 300);
  const Reply r = server.post("/v1/completions", json{{"prompt", fits}, {"max_tokens", 5}});
  ASSERT_EQ(r.status, 200) << r.body;
  // A prompt that fills the context leaves room for one sampled token, as in generate().
  EXPECT_EQ(r.body["usage"]["completion_tokens"], 1);
  EXPECT_EQ(r.body["choices"][0]["finish_reason"], "length");
}

TEST(ServerErrors, UnknownRouteAndModelGet404) {
  TestServer server({});
  expect_error(server.get("/v2/things"), 404);
  expect_error(server.post("/v1/completions", json{{"prompt", "a"}, {"model", "gpt-4"}}), 404,
               "model", "model_not_found");
}

TEST(ServerErrors, ABodyOverTheLimitGets413) {
  TestServer server({.max_body = 1000});
  expect_error(server.post("/v1/completions", json{{"prompt", std::string(2000, 'a')}}), 413);
  EXPECT_EQ(server.post("/v1/completions", json{{"prompt", "a"}, {"max_tokens", 1}}).status, 200);
}

TEST(ServerErrors, TheKeyIsNeededEverywhereButHealth) {
  TestServer server({.api_key = "sesame-42"});
  const httplib::Headers good = {{"Authorization", "Bearer sesame-42"}};
  const httplib::Headers wrong = {{"Authorization", "Bearer sesame-43"}};
  const httplib::Headers prefix = {{"Authorization", "Bearer sesame-4"}};
  const httplib::Headers basic = {{"Authorization", "Basic sesame-42"}};
  const json body = {{"prompt", "a"}, {"max_tokens", 1}};
  for (const auto& headers : {httplib::Headers{}, wrong, prefix, basic}) {
    const Reply r = server.post("/v1/completions", body, headers);
    expect_error(r, 401, {}, "invalid_api_key");
    expect_error(server.get("/v1/models", headers), 401);
    expect_error(server.get("/metrics", headers), 401);
    expect_error(server.post("/tokenize", json{{"content", "a"}}, headers), 401);
    expect_error(server.get("/nowhere", headers), 401);  // no probing routes without the key
  }
  EXPECT_EQ(server.get("/health").status, 200);
  EXPECT_EQ(server.post("/v1/completions", body, good).status, 200);
  EXPECT_EQ(server.get("/v1/models", good).status, 200);
  expect_error(server.get("/nowhere", good), 404);
}

TEST(ServerErrors, AFullQueueGets503WithRetryAfter) {
  // One slot, no queue: a long prompt run one token per step holds the slot.
  TestServer server({.scheduler = {.parallel = 1, .queue = 0, .prefill_chunk = 1}},
                    load_stories(8192));
  std::thread busy([&] {
    server.post("/v1/completions",
                json{{"prompt", std::vector<int>(8000, 300)}, {"max_tokens", 1}});
  });
  EXPECT_TRUE(eventually([&] { return metric_value(server.metrics(), "engine_busy_slots") == 1; }));
  const Reply refused = server.post("/v1/completions", json{{"prompt", "a"}});
  expect_error(refused, 503, {}, "queue_full");
  bool retry_after = false;
  for (const auto& [name, value] : refused.headers) retry_after |= name == "Retry-After";
  EXPECT_TRUE(retry_after);
  const Reply health = server.get("/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(health.body["status"], "busy");
  server.stop();  // ends the long request
  busy.join();
}

}  // namespace
}  // namespace engine::server::test
