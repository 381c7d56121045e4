// Where the CLI finds model files when -m/-z are not given, and the shared loading step.
#pragma once

#include <memory>
#include <string>

#include "engine/model/model.hpp"
#include "engine/tokenizer.hpp"

namespace engine::cli {

/// Model and tokenizer paths as given on the command line (empty: the default model).
struct ModelFiles {
  std::string model;
  std::string tokenizer;
};

/// Resolves empty paths to the default model (stories260K.bin + tok512.bin) in the models
/// folder: $ENGINE_MODELS_DIR, else models/ of the source tree the binary was built in
/// (build/bin/../../models), else ./models. A GGUF model without a tokenizer uses its own.
ModelFiles resolve_model_files(ModelFiles given);

struct LoadedModel {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

/// Loads both and checks they belong together; `context_length` > 0 overrides the model's.
LoadedModel load_model_and_tokenizer(const ModelFiles& files, int context_length = 0,
                                     DType weight_type = DType::f32);

}  // namespace engine::cli
