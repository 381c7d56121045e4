// Server::answer: one raw HTTP/1.1 request through the routes without a connection, answered
// byte for byte as a client would read it (the http_request fuzz target runs on it).
#include <gtest/gtest.h>

#include <string>

#include "server_fixture.hpp"

namespace engine::server::test {
namespace {

class ServerAnswer : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.bind();
    server_.set_model({"stories260K", load_stories(), load_tok512()});
  }
  std::string answer(const std::string& head, const std::string& body = "") {
    const std::string length =
        body.empty() ? "" : "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return server_.answer(head + length + "\r\n" + body);
  }

  Server server_{{.host = "127.0.0.1", .port = 0, .api_key = "key"}};
};

TEST_F(ServerAnswer, HealthNeedsNoKey) {
  const std::string r = answer("GET /health HTTP/1.1\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_TRUE(r.ends_with("\r\n\r\n{\"status\":\"ok\"}")) << r;
}

TEST_F(ServerAnswer, OtherRoutesNeedTheBearerKey) {
  for (const char* authorization :
       {"", "Authorization: key\r\n", "Authorization: Bearer kez\r\n",
        "Authorization: Bearer key2\r\n", "Authorization: bearer key\r\n"}) {
    const std::string r = answer(std::string("GET /v1/models HTTP/1.1\r\n") + authorization);
    EXPECT_TRUE(r.starts_with("HTTP/1.1 401 Unauthorized\r\n")) << authorization << r;
    EXPECT_NE(r.find("WWW-Authenticate: Bearer\r\n"), std::string::npos) << r;
    EXPECT_NE(r.find("\"code\":\"invalid_api_key\""), std::string::npos) << r;
  }
  const std::string r = answer("GET /v1/models HTTP/1.1\r\nAuthorization: Bearer key\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n")) << r;
}

TEST_F(ServerAnswer, AStreamedCompletionEndsWithDone) {
  const std::string r = answer(
      "POST /v1/completions HTTP/1.1\r\nAuthorization: Bearer key\r\n"
      "Content-Type: application/json\r\n",
      R"({"prompt": "Once", "max_tokens": 3, "temperature": 0, "stream": true})");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_NE(r.find("Content-Type: text/event-stream\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("data: [DONE]\n\n"), std::string::npos) << r;
}

TEST_F(ServerAnswer, ABodyOverTheLimitIs413) {
  const std::string r = server_.answer(
      "POST /tokenize HTTP/1.1\r\nAuthorization: Bearer key\r\n"
      "Content-Length: 2000000\r\n\r\n{}");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 413 ")) << r;
  EXPECT_NE(r.find("\"code\":\"request_too_large\""), std::string::npos) << r;
}

}  // namespace
}  // namespace engine::server::test
