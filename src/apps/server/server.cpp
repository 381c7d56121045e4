#include "server/server.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "common/log.hpp"
#include "engine/error.hpp"
#include "server/api_error.hpp"
#include "server/backend.hpp"
#include "server/completion_route.hpp"
#include "server/response_json.hpp"
#include "server/tokenize_route.hpp"

namespace engine::server {
namespace {

using nlohmann::json;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump(body), "application/json");
}

void send_error(httplib::Response& res, const ApiError& error) {
  if (error.status == 503) res.set_header("Retry-After", "1");
  if (error.status == 401) res.set_header("WWW-Authenticate", "Bearer");
  send_json(res, error.status, error_body(error));
}

// Equal strings, in a time that depends on their lengths only, not on where they differ.
bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char difference = given.size() != expected.size();
  for (std::size_t i = 0; i < given.size(); ++i)
    difference |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  return difference == 0;
}

// A connection whose client has sent `input` and stops sending: what answer() serves on.
class StringStream final : public httplib::Stream {
 public:
  explicit StringStream(std::string_view input) : input_(input) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, std::size_t size) override {
    const std::size_t n = std::min(size, input_.size());
    input_.copy(ptr, n);
    input_.remove_prefix(n);
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, std::size_t size) override {
    output.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

  std::string output;

 private:
  std::string_view input_;
};

// httplib listens with a backlog of 5: a burst of clients connecting at once overflows it, and
// the kernel drops SYNs that clients resend only a second later. Listening again on the bound
// socket raises the backlog in place (Linux).
class HttpServer : public httplib::Server {
 public:
  void raise_backlog() { ::listen(svr_sock_, SOMAXCONN); }
  std::string answer(std::string_view request) {
    StringStream stream(request);
    bool connection_closed = false;
    process_request(stream, /*close_connection=*/true, connection_closed, [](httplib::Request&) {});
    return std::move(stream.output);
  }
};

}  // namespace

struct Server::State {
  explicit State(ServerOptions o) : options(std::move(o)) {}

  // The loaded model, or 503 while it loads.
  std::shared_ptr<const Backend> backend() const {
    std::lock_guard lock(mutex);
    if (!backend_)
      throw ApiError(503, "server_error", "the model is still loading", {}, "model_loading");
    return backend_;
  }

  bool authorized(const httplib::Request& req) const {
    if (options.api_key.empty()) return true;
    const std::string header = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    return header.starts_with(kBearer) &&
           same_secret(std::string_view(header).substr(kBearer.size()), options.api_key);
  }

  // A route's handler with the key check first and every error as an OpenAI error object.
  httplib::Server::Handler route(
      std::function<void(const httplib::Request&, httplib::Response&)> handler,
      bool needs_key = true) {
    return [this, handler = std::move(handler), needs_key](const httplib::Request& req,
                                                           httplib::Response& res) {
      try {
        if (needs_key && !authorized(req))
          throw ApiError(401, "invalid_request_error",
                         "a valid API key is required: send 'Authorization: Bearer KEY'", {},
                         "invalid_api_key");
        handler(req, res);
      } catch (const ApiError& e) {
        send_error(res, e);
      } catch (const Error& e) {
        send_error(res, ApiError(400, "invalid_request_error", e.what()));
      } catch (const std::exception& e) {
        app::log(LogLevel::error, "{} {}: {}", req.method, req.path, e.what());
        send_error(res, ApiError(500, "server_error", "internal error"));
      }
    };
  }

  void add_routes();

  ServerOptions options;
  HttpServer http;
  Metrics metrics;
  mutable std::mutex mutex;
  std::shared_ptr<Backend> backend_;
  ResponsesInFlight in_flight;
  std::atomic<bool> listening = false;
  std::atomic<bool> stopping = false;
};

void Server::State::add_routes() {
  http.Get("/health",
           route(
               [this](const httplib::Request&, httplib::Response& res) {
                 std::shared_ptr<const Backend> b;
                 {
                   std::lock_guard lock(mutex);
                   b = backend_;
                 }
                 const char* status = stopping                    ? "stopping"
                                      : !b                        ? "loading"
                                      : !b->scheduler->has_room() ? "busy"
                                                                  : "ok";
                 send_json(res, std::string_view(status) == "ok" ? 200 : 503, {{"status", status}});
               },
               /*needs_key=*/false));
  http.Get("/metrics", route([this](const httplib::Request&, httplib::Response& res) {
             std::shared_ptr<const Backend> b;
             {
               std::lock_guard lock(mutex);
               b = backend_;
             }
             res.set_content(metrics.prometheus(b ? b->scheduler->gauges() : SchedulerGauges{}),
                             "text/plain; version=0.0.4");
           }));
  const auto model_entry = [](const Backend& b) {
    return json{{"id", b.served.name},
                {"object", "model"},
                {"created", 0},
                {"owned_by", "engine"},
                {"context_length", b.served.model->config().seq_len}};
  };
  http.Get("/v1/models",
           route([this, model_entry](const httplib::Request&, httplib::Response& res) {
             send_json(res, 200, {{"object", "list"}, {"data", {model_entry(*backend())}}});
           }));
  http.Get("/v1/models/(.+)",
           route([this, model_entry](const httplib::Request& req, httplib::Response& res) {
             const auto b = backend();
             if (req.matches[1] != b->served.name)
               throw ApiError(404, "invalid_request_error",
                              fmt::format("the model '{}' does not exist", req.matches[1].str()),
                              "model", "model_not_found");
             send_json(res, 200, model_entry(*b));
           }));
  const auto completion = [this](Endpoint endpoint) {
    return route([this, endpoint](const httplib::Request& req, httplib::Response& res) {
      handle_completion(req, res, endpoint, backend(), options.timeout_seconds, in_flight);
    });
  };
  http.Post("/v1/completions", completion(Endpoint::completions));
  http.Post("/v1/chat/completions", completion(Endpoint::chat));
  http.Post("/tokenize", route([this](const httplib::Request& req, httplib::Response& res) {
              send_json(res, 200,
                        tokenize(parse_json_body(req.body), *backend()->served.tokenizer));
            }));
  http.Post("/detokenize", route([this](const httplib::Request& req, httplib::Response& res) {
              send_json(res, 200,
                        detokenize(parse_json_body(req.body), *backend()->served.tokenizer));
            }));
  // Statuses the HTTP layer sets itself (unknown route, body too large): an error object too,
  // and 401 before 404 so that routes cannot be probed without the key.
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 404 && !authorized(req))
          send_error(res, ApiError(401, "invalid_request_error", "a valid API key is required", {},
                                   "invalid_api_key"));
        else
          send_error(res, error_for_status(res.status));
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    metrics.count_response(res.status);
    app::log(LogLevel::debug, "{} {} -> {}", req.method, req.path, res.status);
  });
}

Server::Server(ServerOptions options) : state_(std::make_unique<State>(std::move(options))) {
  State& s = *state_;
  // Every request holds a thread while it waits or streams: enough for every slot and queue
  // place, plus some for quick routes and refusals.
  const int threads = s.options.scheduler.parallel + s.options.scheduler.queue + 16;
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.http.set_payload_max_length(s.options.max_body);
  s.http.set_tcp_nodelay(true);  // stream chunks leave as they are written
  s.http.set_keep_alive_timeout(2);
  s.add_routes();
}

Server::~Server() {
  stop();
}

int Server::bind() {
  State& s = *state_;
  const int port = s.options.port == 0 ? s.http.bind_to_any_port(s.options.host)
                   : s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port
                                                                         : -1;
  if (port <= 0)
    throw Error(ErrorCode::io,
                fmt::format("cannot listen on {}:{}", s.options.host, s.options.port));
  s.http.raise_backlog();
  return port;
}

void Server::listen() {
  State& s = *state_;
  s.listening = true;
  if (!s.stopping) s.http.listen_after_bind();
}

std::string Server::answer(std::string_view request) {
  return state_->http.answer(request);
}

void Server::set_model(ServedModel model) {
  auto backend = std::make_shared<Backend>();
  backend->served = std::move(model);
  backend->scheduler =
      std::make_unique<Scheduler>(backend->served.model, *backend->served.tokenizer,
                                  state_->options.scheduler, state_->metrics);
  std::lock_guard lock(state_->mutex);
  state_->backend_ = std::move(backend);
}

void Server::stop() {
  State& s = *state_;
  if (s.stopping.exchange(true)) return;
  // listen() may be about to start: wait (briefly) until it has, so that stop() reaches it.
  for (int i = 0; i < 200 && s.listening && !s.http.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // The jobs end first, each stream with its final chunk, and their bodies are written out
  // before the HTTP layer stops (it writes no more once stopped).
  std::shared_ptr<Backend> backend;
  {
    std::lock_guard lock(s.mutex);
    backend = s.backend_;
  }
  if (backend) backend->scheduler->shutdown();
  s.in_flight.wait_idle(std::chrono::seconds(5));
  s.http.stop();
}

}  // namespace engine::server
