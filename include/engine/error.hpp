// The one exception type libengine throws.
#pragma once

#include <stdexcept>
#include <string>

namespace engine {

/// What went wrong, coarse enough for an app (or the C API) to branch on.
enum class ErrorCode {
  invalid_argument,  ///< an option or argument out of range
  io,                ///< a file could not be opened, read or mapped
  bad_format,        ///< a file's contents are malformed (truncated, wrong magic, absurd sizes)
  mismatch,          ///< two valid inputs do not fit together (e.g. tokenizer vs model vocab)
  unsupported,       ///< valid input this build cannot handle (e.g. an ISA the CPU lacks)
  context_full,      ///< a prompt or generation does not fit in the context window
};

/// Every error libengine reports is an engine::Error: a code plus one human-readable line.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace engine
