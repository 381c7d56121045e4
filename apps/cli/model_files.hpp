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

/// Resolves empty paths. No model: the default, stories260K.bin, in the models folder:
/// $ENGINE_MODELS_DIR, else models/ of the source tree the binary was built in
/// (build/bin/../../models), else share/engine/models of the install prefix, else ./models;
/// throws engine::Error (io) saying where it looked when it is not there. No tokenizer: a GGUF
/// model's own; for a llama2.c checkpoint of vocabulary V, tok<V>.bin or tokenizer.bin beside
/// it, else in the models folder.
ModelFiles resolve_model_files(ModelFiles given);

struct LoadedModel {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

/// Loads both and checks they belong together; `context_length` > 0 overrides the model's.
LoadedModel load_model_and_tokenizer(const ModelFiles& files, int context_length = 0,
                                     DType weight_type = DType::f32);

}  // namespace engine::cli
