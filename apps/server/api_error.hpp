// A request the API refuses: its HTTP status plus OpenAI's error object, so clients built for
// OpenAI's API read the reason the usual way.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace engine::server {

struct ApiError : std::runtime_error {
  /// `type` is OpenAI's error type (invalid_request_error, ...); `param` names the request field
  /// at fault and `code` a machine-readable reason, both optional.
  ApiError(int status, std::string type, const std::string& message, std::string param = {},
           std::string code = {})
      : std::runtime_error(message),
        status(status),
        type(std::move(type)),
        param(std::move(param)),
        code(std::move(code)) {}

  int status;
  std::string type;
  std::string param;
  std::string code;
};

/// 400 for a request field: the message names the field.
ApiError invalid_field(const std::string& param, const std::string& message);

/// {"error": {"message", "type", "param", "code"}}; an empty param or code is null.
nlohmann::json error_body(const ApiError& error);

/// The error object for a status the HTTP layer produced itself (404 for an unknown route, 413
/// for a body over the limit, ...).
ApiError error_for_status(int status);

}  // namespace engine::server
