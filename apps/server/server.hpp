// `engine serve`: an OpenAI-compatible HTTP server for one model. Routes: POST /v1/completions,
// POST /v1/chat/completions, GET /v1/models, GET /health, GET /metrics, POST /tokenize,
// POST /detokenize. Errors are OpenAI error objects. The model can arrive after the server
// starts listening (/health answers 503 until then), so a load balancer sees it loading.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "engine/chat/chat_template.hpp"
#include "engine/model/model.hpp"
#include "engine/tokenizer.hpp"
#include "server/scheduler.hpp"

namespace engine::server {

struct ServerOptions {
  std::string host{"127.0.0.1"};
  int port = 8080;  ///< 0: any free port (bind() tells which)
  SchedulerOptions scheduler{};
  std::size_t max_body = 1 << 20;  ///< bytes of a request body; more: 413
  std::string api_key{};  ///< non-empty: "Authorization: Bearer KEY" on every route but /health
  double timeout_seconds =
      600;  ///< a request's generation ends after this long (queueing included)
};

/// The model a server runs, under the name clients give as "model".
struct ServedModel {
  std::string name;
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Tokenizer> tokenizer;
  /// Renders /v1/chat/completions' messages; null: chat completions answer 501.
  std::shared_ptr<const ChatTemplate> chat_template{};
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds the listening socket; returns the port. Throws engine::Error (io) when it cannot.
  int bind();
  /// Serves until stop() (from another thread or a signal handler's thread); bind() first.
  void listen();
  /// Starts serving `model`: its scheduler thread and slots. /health turns 200.
  void set_model(ServedModel model);
  /// Answers `request`, the raw bytes of one HTTP/1.1 request, as if a client had sent them on a
  /// connection and closed it, and returns the raw response: every route, header check and error
  /// without a connection (the http_request fuzz target runs on it). bind() first: httplib
  /// writes a streamed body only while the server's socket is open.
  std::string answer(std::string_view request);
  /// Stops accepting connections and ends every request in flight with its last chunk; listen()
  /// returns once they are written.
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace engine::server
