// Reading a GGUF model file (llama, qwen2, phi3, gemma2, gpt2) into a Model's state.
#pragma once

#include <string>

#include "model/model_impl.hpp"

namespace engine {

/// Maps `path` and fills `model`'s file, configuration and weight views (in the file's types);
/// throws engine::Error naming the file and the problem for anything it cannot run.
void read_gguf_model(Model::Impl& model, const std::string& path);

}  // namespace engine
