// A server started in-process on a free loopback port with stories260K, and an HTTP client for
// it: JSON requests, Server-Sent Event streams, and the library's own generate() as the
// reference a completion must equal.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine/generation/generator.hpp"
#include "engine/model/model.hpp"
#include "server/server.hpp"
#include "test_paths.hpp"

namespace engine::server::test {

using nlohmann::json;

struct Reply {
  int status = 0;  // 0: the request failed (connection closed, timeout)
  json body;
  httplib::Headers headers;
};

/// The events of an SSE response: each `data:` payload, in order.
struct Stream {
  int status = 0;
  std::vector<std::string> events;
  std::string raw;
};

inline std::shared_ptr<const Model> load_stories(int context_length = 0) {
  return Model::load(engine::test::require_model("stories260K.bin"), DType::f32, context_length);
}

inline std::shared_ptr<const Tokenizer> load_tok512() {
  return load_tokenizer(engine::test::require_model("tok512.bin"));
}

/// The scheduler's kernel threads: OMP_NUM_THREADS when set, else 0 (one per core). The
/// ThreadSanitizer run sets 1, so that libgomp, which TSan cannot see into, starts no pool
/// threads whose accesses would show as races.
inline int scheduler_threads() {
  const char* threads = std::getenv("OMP_NUM_THREADS");
  return threads ? std::atoi(threads) : 0;
}

/// A running server; stopped (and joined) on destruction.
class TestServer {
 public:
  explicit TestServer(ServerOptions options, std::shared_ptr<const Model> model = load_stories(),
                      std::shared_ptr<const ChatTemplate> chat_template = nullptr)
      : tokenizer(load_tok512()), model(std::move(model)) {
    options.host = "127.0.0.1";
    options.port = 0;
    if (options.scheduler.threads == 0) options.scheduler.threads = scheduler_threads();
    server_ = std::make_unique<Server>(options);
    port = server_->bind();
    server_->set_model({"stories260K", this->model, tokenizer, std::move(chat_template)});
    thread_ = std::thread([this] { server_->listen(); });
  }
  ~TestServer() { stop(); }

  void stop() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60);
    return c;
  }

  Reply post(const std::string& path, const std::string& body,
             const httplib::Headers& headers = {}) const {
    httplib::Client c = client();
    auto r = c.Post(path.c_str(), headers, body, "application/json");
    return reply(r);
  }
  Reply post(const std::string& path, const json& body,
             const httplib::Headers& headers = {}) const {
    return post(path, body.dump(), headers);
  }
  Reply get(const std::string& path, const httplib::Headers& headers = {}) const {
    httplib::Client c = client();
    return reply(c.Get(path.c_str(), headers));
  }
  std::string metrics() const {
    httplib::Client c = client();
    auto r = c.Get("/metrics");
    return r ? r->body : std::string();
  }

  /// POSTs `body` and collects the SSE events; `keep_reading(events so far)` false hangs up.
  Stream stream(
      const std::string& path, const json& body,
      const std::function<bool(const std::vector<std::string>&)>& keep_reading = {}) const {
    Stream s;
    httplib::Client c = client();
    httplib::Request req;
    req.method = "POST";
    req.path = path;
    req.body = body.dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      s.raw.append(data, n);
      for (std::size_t end; (end = s.raw.find("\n\n")) != std::string::npos;) {
        const std::string event = s.raw.substr(0, end);
        s.raw.erase(0, end + 2);
        EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
        s.events.push_back(event.substr(6));
      }
      return !keep_reading || keep_reading(s.events);
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    if (c.send(req, res, error)) s.status = res.status;
    return s;
  }

  std::shared_ptr<const Tokenizer> tokenizer;
  std::shared_ptr<const Model> model;
  int port = 0;

 private:
  static Reply reply(const httplib::Result& r) {
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.headers = r->headers;
    out.body = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    return out;
  }

  std::unique_ptr<Server> server_;
  std::thread thread_;
};

/// The library's own generate() on a fresh session: what a completion must equal.
inline GenerationResult generate_alone(const TestServer& server, const std::string& prompt,
                                       int max_tokens, SamplingOptions sampling,
                                       std::vector<std::string> stop = {}) {
  Session session(server.model);
  GenerationOptions options{.max_new_tokens = max_tokens, .sampling = sampling, .stop = stop};
  return generate(session, *server.tokenizer, prompt, options);
}

/// Waits (at most `seconds`) until `condition()` holds; whether it did.
template <class Condition>
bool eventually(Condition condition, double seconds = 20) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(seconds));
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

/// A metric's value in the /metrics text (-1: absent).
inline double metric_value(const std::string& text, const std::string& name) {
  const std::size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

}  // namespace engine::server::test
