// libFuzzer target: raw HTTP/1.1 requests through `engine serve`'s routes, without a connection
// (Server::answer). The server runs a tiny model ($ENGINE_FUZZ_MODEL: make_seeds.py's one-layer
// llama, a context of 16) with the API key "fuzz-key", a body limit of 4 KB and the chatml
// template, so that every route answers: /v1/completions and /v1/chat/completions (generation
// included), /tokenize, /detokenize, /v1/models, /health, /metrics, and unknown ones.
// Every answer must be a documented status (never 500) with a body of its content type: JSON
// (OpenAI error objects for errors), Server-Sent Events whose data is JSON or [DONE], or
// Prometheus text for /metrics, or the slice a Range header asked for; a success other than
// /health's needs the key in the request.
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/chat/chat_template.hpp"
#include "engine/model/model.hpp"
#include "engine/tokenizer.hpp"
#include "server/server.hpp"

namespace {

constexpr std::string_view kKey = "fuzz-key";

std::unique_ptr<engine::server::Server> server;

struct Response {
  int status = 0;
  std::string content_type;
  std::string content_range;  // "bytes FIRST-LAST/SIZE" when the body is a slice
  std::string body;
};

// Lower-case, so that header names compare as HTTP compares them.
std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The body of a chunked transfer: hex sizes, each followed by that many bytes.
std::optional<std::string> unchunk(std::string_view raw) {
  std::string body;
  while (true) {
    const std::size_t line_end = raw.find("\r\n");
    if (line_end == std::string_view::npos) return std::nullopt;
    const std::size_t size = std::stoul(std::string(raw.substr(0, line_end)), nullptr, 16);
    raw.remove_prefix(line_end + 2);
    if (size == 0) return body;
    if (raw.size() < size + 2) return std::nullopt;
    body.append(raw.substr(0, size));
    raw.remove_prefix(size + 2);
  }
}

// The body as it was before httplib compressed it for the client's Accept-Encoding (gzip or br),
// with httplib's own decompressors.
std::optional<std::string> decompress(std::string_view body, std::string_view encoding) {
  std::unique_ptr<httplib::detail::decompressor> decompressor;
  if (encoding == "gzip") decompressor = std::make_unique<httplib::detail::gzip_decompressor>();
  if (encoding == "br") decompressor = std::make_unique<httplib::detail::brotli_decompressor>();
  std::string out;
  const auto append = [&out](const char* data, std::size_t size) {
    out.append(data, size);
    return true;
  };
  if (!decompressor || !decompressor->is_valid() ||
      !decompressor->decompress(body.data(), body.size(), append))
    return std::nullopt;
  return out;
}

// The final response of `raw` (after any "100 Continue"); nullopt when it does not parse.
std::optional<Response> parse_response(std::string_view raw) {
  while (raw.starts_with("HTTP/1.1 100 ")) raw.remove_prefix(raw.find("\r\n\r\n") + 4);
  if (!raw.starts_with("HTTP/1.1 ") || raw.size() < 12) return std::nullopt;
  Response response;
  response.status = std::stoi(std::string(raw.substr(9, 3)));
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return std::nullopt;
  bool chunked = false;
  std::string encoding;
  for (std::string_view head = raw.substr(0, head_end); !head.empty();) {
    const std::size_t end = std::min(head.find("\r\n"), head.size());
    const std::string line = lower(head.substr(0, end));
    head.remove_prefix(std::min(end + 2, head.size()));
    if (line.starts_with("content-type: ")) response.content_type = line.substr(14);
    if (line == "transfer-encoding: chunked") chunked = true;
    if (line.starts_with("content-encoding: ")) encoding = line.substr(18);
    if (line.starts_with("content-range: ")) response.content_range = line.substr(15);
  }
  std::optional<std::string> body(raw.substr(head_end + 4));
  if (chunked) body = unchunk(*body);
  if (body && !encoding.empty()) body = decompress(*body, encoding);
  if (!body) return std::nullopt;
  response.body = std::move(*body);
  return response;
}

bool documented(int status) {
  // 206 and 416 are httplib's answers to a Range header; the rest are the server's.
  for (const int known : {200, 206, 400, 401, 404, 405, 413, 414, 416, 501, 503})
    if (status == known) return true;
  return false;
}

bool valid_events(std::string_view body) {
  while (!body.empty()) {
    const std::size_t end = body.find("\n\n");
    if (!body.starts_with("data: ") || end == std::string_view::npos) return false;
    const std::string_view data = body.substr(6, end - 6);
    if (data != "[DONE]" && !nlohmann::json::accept(data)) return false;
    body.remove_prefix(end + 2);
  }
  return true;
}

// httplib answers a Range header with that slice of any body, errors included: the slice must
// be as long as its Content-Range says.
bool valid_slice(const Response& r) {
  unsigned long long first = 0, last = 0, size = 0;
  return std::sscanf(r.content_range.c_str(), "bytes %llu-%llu/%llu", &first, &last, &size) == 3 &&
         first <= last && last < size && r.body.size() == last - first + 1;
}

bool valid_body(const Response& r) {
  if (!r.content_range.empty()) return valid_slice(r);
  if (r.content_type == "application/json") {
    if (!nlohmann::json::accept(r.body)) return false;
    if (r.status < 400) return true;
    const nlohmann::json error = nlohmann::json::parse(r.body);
    return error.contains("error") && error["error"].contains("message") &&
           error["error"]["message"].is_string();
  }
  // A stream is never sliced: httplib marks it 206 when a Range header came, and sends it whole.
  if (r.content_type == "text/event-stream")
    return (r.status == 200 || r.status == 206) && valid_events(r.body);
  if (r.content_type.starts_with("text/plain")) return r.status == 200;
  return r.body.empty();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* path = std::getenv("ENGINE_FUZZ_MODEL");
  if (!path) std::abort();
  engine::server::ServerOptions options;
  options.port = 0;
  options.max_body = 4096;
  options.api_key = kKey;
  options.scheduler.parallel = 2;
  options.scheduler.threads = 1;
  server = std::make_unique<engine::server::Server>(options);
  server->bind();  // on a free loopback port, never listened on: Server::answer needs it bound
  std::shared_ptr<const engine::Tokenizer> tokenizer = engine::load_tokenizer(path);
  server->set_model({.name = "fuzz",
                     .model = engine::Model::load(path),
                     .tokenizer = tokenizer,
                     .chat_template = std::make_shared<const engine::ChatTemplate>(
                         engine::ChatTemplate::builtin("chatml", "<s>", "</s>"))});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view request(reinterpret_cast<const char*>(data), size);
  const std::string raw = server->answer(request);
  // httplib closes a connection whose request line never ends without answering.
  if (raw.empty() && request.find('\n') == std::string_view::npos) return 0;
  const std::optional<Response> response = parse_response(raw);
  if (!response || !documented(response->status)) std::abort();
  // A HEAD request's answer has the headers of the GET one and no body.
  if (!(request.starts_with("HEAD ") && response->body.empty()) && !valid_body(*response))
    std::abort();
  // /health answers without the key, with or without a query string ("GET /health? ...").
  const auto health_route = [&](std::string_view method) {
    const std::string prefix = std::string(method) + " /health";
    return request.starts_with(prefix) && request.size() > prefix.size() &&
           (request[prefix.size()] == ' ' || request[prefix.size()] == '?');
  };
  const bool health = health_route("GET") || health_route("HEAD");
  if (response->status == 200 && !health && request.find(kKey) == std::string_view::npos)
    std::abort();
  return 0;
}
