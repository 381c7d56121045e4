#include "server/api_error.hpp"

namespace engine::server {

ApiError invalid_field(const std::string& param, const std::string& message) {
  return ApiError(400, "invalid_request_error", message, param);
}

nlohmann::json error_body(const ApiError& error) {
  const auto or_null = [](const std::string& s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
  };
  return {{"error",
           {{"message", error.what()},
            {"type", error.type},
            {"param", or_null(error.param)},
            {"code", or_null(error.code)}}}};
}

ApiError error_for_status(int status) {
  switch (status) {
    case 400:
      return ApiError(400, "invalid_request_error", "malformed HTTP request");
    case 404:
      return ApiError(404, "invalid_request_error", "no such route", {}, "unknown_url");
    case 405:
      return ApiError(405, "invalid_request_error", "method not allowed on this route");
    case 413:
      return ApiError(413, "invalid_request_error", "request body larger than the server accepts",
                      {}, "request_too_large");
    default:
      return ApiError(status, "server_error", "request failed");
  }
}

}  // namespace engine::server
