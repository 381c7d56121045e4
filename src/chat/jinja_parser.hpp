// The Jinja parser: a token stream to the syntax tree of the subset chat templates use.
#pragma once

#include <string_view>

#include "chat/jinja_ast.hpp"

namespace engine::jinja {

/// Parses `source`. Throws engine::Error (bad_format or unsupported) with "line L:C" and the
/// construct for a syntax error or a tag, operator or literal outside the subset.
Template parse(std::string_view source);

}  // namespace engine::jinja
