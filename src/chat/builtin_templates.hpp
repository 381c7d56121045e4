// Chat templates built into the engine for model files that carry none, in the Jinja subset.
#pragma once

#include <string_view>

namespace engine {

/// The Jinja source of the built-in template `name` (chatml, llama2, llama3, gemma, phi3,
/// zephyr); throws engine::Error (invalid_argument) listing the names for another.
std::string_view builtin_template_source(std::string_view name);

}  // namespace engine
