// Renders a parsed template with the globals Hugging Face's apply_chat_template provides
// (raise_exception, strftime_now, namespace) over variables given as a JSON object.
#pragma once

#include <ctime>
#include <optional>
#include <string>

#include "chat/jinja_ast.hpp"

namespace engine::jinja {

/// The text `t` renders to with `variables` (a JSON object). strftime_now() formats `now` in
/// UTC when given, else the local time. Throws engine::Error: raise_exception's message, or a
/// type error or unsupported construct with its template position.
std::string render(const Template& t, const Json& variables, std::optional<std::time_t> now);

}  // namespace engine::jinja
