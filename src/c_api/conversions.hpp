// The C API's plain structs and enums to and from their C++ counterparts.
#pragma once

#include "engine/engine.h"
#include "engine/generation/generator.hpp"

namespace engine::c_api {

GenerationOptions to_cpp(const engine_generate_options& options);

engine_finish_reason to_c(FinishReason reason);

}  // namespace engine::c_api
