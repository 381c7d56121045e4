#include "cli/model_files.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "engine/generation/generator.hpp"
#include "format/gguf_file.hpp"

namespace engine::cli {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDefaultModel = "stories260K.bin";
constexpr const char* kDefaultTokenizer = "tok512.bin";

fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path(".") : exe.parent_path();
}

fs::path models_dir() {
  if (const char* env = std::getenv("ENGINE_MODELS_DIR"); env && *env) return env;
  const fs::path candidates[] = {executable_dir() / ".." / ".." / "models",
                                 executable_dir() / ".." / "share" / "engine" / "models"};
  for (const fs::path& dir : candidates)
    if (fs::exists(dir / kDefaultModel)) return dir.lexically_normal();
  return "models";
}

}  // namespace

ModelFiles resolve_model_files(ModelFiles given) {
  if (given.model.empty()) {
    given.model = (models_dir() / kDefaultModel).string();
    if (given.tokenizer.empty()) given.tokenizer = (models_dir() / kDefaultTokenizer).string();
  }
  if (given.tokenizer.empty()) {
    // A GGUF model embeds its vocabulary. A llama2.c checkpoint does not name its tokenizer: the
    // default is the Llama 2 vocabulary.
    given.tokenizer =
        is_gguf_file(given.model) ? given.model : (models_dir() / "tokenizer.bin").string();
  }
  return given;
}

LoadedModel load_model_and_tokenizer(const ModelFiles& files, int context_length,
                                     DType weight_type) {
  LoadedModel loaded;
  loaded.model = Model::load(files.model, weight_type, context_length);
  loaded.tokenizer = load_tokenizer(files.tokenizer);
  check_tokenizer_fits(*loaded.model, *loaded.tokenizer, files.tokenizer);
  return loaded;
}

}  // namespace engine::cli
