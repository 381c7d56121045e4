// Reading a llama2.c checkpoint (legacy or version 1) into a Model's state.
#pragma once

#include <string>

#include "model/model_impl.hpp"

namespace engine {

/// Maps `path` and fills `model`'s file, configuration and weight views (f32, in place); throws
/// engine::Error naming the file and the problem for a truncated or absurd checkpoint.
void read_llama2c_checkpoint(Model::Impl& model, const std::string& path);

}  // namespace engine
