#include "cli/model_files.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

#include "engine/error.hpp"
#include "engine/generation/generator.hpp"
#include "engine/model/gguf_summary.hpp"

namespace engine::cli {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDefaultModel = "stories260K.bin";

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

// The vocabulary size a llama2.c checkpoint declares (header field 6, negative when the
// classifier is not shared), or 0 when the file is too short to say.
int checkpoint_vocab_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::int32_t header[7] = {};
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) return 0;
  return header[5] == std::numeric_limits<std::int32_t>::min() ? 0 : std::abs(header[5]);
}

// A llama2.c checkpoint does not name its tokenizer: the one for it sits beside it, as
// tok<vocab>.bin (tok512.bin for stories260K) or tokenizer.bin (the Llama 2 vocabulary), and
// failing that in the models folder.
std::string tokenizer_for_checkpoint(const std::string& model) {
  const std::string sized = fmt::format("tok{}.bin", checkpoint_vocab_size(model));
  const fs::path beside = fs::path(model).parent_path();
  for (const fs::path& dir : {beside, models_dir()})
    for (const std::string& name : {sized, std::string("tokenizer.bin")})
      if (fs::exists(dir / name)) return (dir / name).string();
  return (beside / "tokenizer.bin").string();
}

}  // namespace

ModelFiles resolve_model_files(ModelFiles given) {
  if (given.model.empty()) {
    const fs::path dir = models_dir();
    if (!fs::exists(dir / kDefaultModel))
      throw Error(ErrorCode::io,
                  fmt::format("no -m given and the default model {} is not in {} (set "
                              "ENGINE_MODELS_DIR to the folder that holds it, or pass -m FILE)",
                              kDefaultModel, fs::absolute(dir).lexically_normal().string()));
    given.model = (dir / kDefaultModel).string();
  }
  // A GGUF model embeds its vocabulary.
  if (given.tokenizer.empty())
    given.tokenizer =
        is_gguf_file(given.model) ? given.model : tokenizer_for_checkpoint(given.model);
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
