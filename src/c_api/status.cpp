#include "c_api/status.hpp"

#include <string>

namespace engine::c_api {
namespace {
thread_local std::string t_last_error;
}  // namespace

engine_status fail(engine_status status, std::string_view message) noexcept {
  try {
    t_last_error.assign(message);
  } catch (...) {
    t_last_error.clear();  // no memory for the text: the status still says what happened
  }
  return status;
}

engine_status succeed() noexcept {
  t_last_error.clear();
  return ENGINE_OK;
}

engine_status status_of(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument:
      return ENGINE_ERROR_INVALID_ARGUMENT;
    case ErrorCode::io:
      return ENGINE_ERROR_IO;
    case ErrorCode::bad_format:
      return ENGINE_ERROR_BAD_FORMAT;
    case ErrorCode::mismatch:
      return ENGINE_ERROR_MISMATCH;
    case ErrorCode::unsupported:
      return ENGINE_ERROR_UNSUPPORTED;
    case ErrorCode::context_full:
      return ENGINE_ERROR_CONTEXT_FULL;
  }
  return ENGINE_ERROR_INTERNAL;
}

}  // namespace engine::c_api

extern "C" const char* engine_last_error(void) {
  return engine::c_api::t_last_error.c_str();
}
