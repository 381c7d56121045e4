// The C API's error boundary: runs a C++ body, turns any exception into an engine_status and
// keeps its message for engine_last_error(), so no exception ever reaches a C caller.
#pragma once

#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "engine/error.hpp"

namespace engine::c_api {

/// Records `message` as this thread's last error and returns `status`.
engine_status fail(engine_status status, std::string_view message) noexcept;

/// Clears this thread's last error (a successful call).
engine_status succeed() noexcept;

engine_status status_of(ErrorCode code) noexcept;

/// Runs `body` and reports its outcome as a status; `body` returns nothing and throws on error.
template <class Body>
engine_status guarded(Body&& body) noexcept {
  try {
    body();
    return succeed();
  } catch (const Error& e) {
    return fail(status_of(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(ENGINE_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(ENGINE_ERROR_INTERNAL, e.what());
  } catch (...) {
    return fail(ENGINE_ERROR_INTERNAL, "unknown exception");
  }
}

/// Throws engine::Error (invalid_argument) naming `what` when `pointer` is NULL.
inline void require(const void* pointer, const char* what) {
  if (!pointer) throw Error(ErrorCode::invalid_argument, std::string(what) + " is NULL");
}

}  // namespace engine::c_api
