// The one way the CLI turns JSON into text: nlohmann-json, with invalid UTF-8 (a prompt's stray
// byte, a multi-byte character cut at the end of generation) replaced by U+FFFD so the output
// always parses, and non-finite numbers written as null.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace engine::cli {

/// `value` (keys in insertion order) as JSON text: one line with indent < 0, else pretty-printed
/// with `indent` spaces.
inline std::string dump_json(const nlohmann::ordered_json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace engine::cli
