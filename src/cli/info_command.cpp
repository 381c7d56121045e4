// engine info: a model's hyper-parameters, size and the kernels that will run it.
#include <fmt/format.h>

#include <map>

#include "cli/commands.hpp"
#include "cli/json_output.hpp"
#include "cli/model_files.hpp"
#include "cli/standard_output.hpp"
#include "engine/ops/isa.hpp"
#include "format/gguf_file.hpp"
#include "util/mapped_file.hpp"

namespace engine::cli {
namespace {

struct InfoArgs {
  std::string model;
  bool json = false;
};

// What a GGUF file says about itself: format version, architecture, tensor types (with their
// counts) and the kind of tokenizer it embeds.
void add_gguf_fields(const std::string& path, nlohmann::ordered_json& fields) {
  const MappedFile file(path);
  const GgufFile gguf({file.data(), file.size()}, path);
  std::map<std::string_view, int> counts;
  for (const GgufTensorInfo& t : gguf.tensors()) ++counts[t.layout.name];
  std::string types;
  for (const auto& [name, count] : counts)
    types += fmt::format("{}{} ({})", types.empty() ? "" : ", ", name, count);
  const auto text = [&](std::string_view key) {
    return std::string(gguf.find<std::string_view>(key).value_or("none"));
  };
  fields["format"] = fmt::format("gguf v{}", gguf.version());
  fields["architecture"] = text("general.architecture");
  fields["tensor_types"] = types;
  fields["tokenizer"] = text("tokenizer.ggml.model");
}

void run_info(const InfoArgs& args) {
  const std::string path = resolve_model_files({args.model, "-"}).model;
  const auto model = Model::load(path);
  const ModelConfig& c = model->config();
  nlohmann::ordered_json fields = {
      {"model", path},
      {"dim", c.dim},
      {"hidden_dim", c.hidden_dim},
      {"n_layers", c.n_layers},
      {"n_heads", c.n_heads},
      {"n_kv_heads", c.n_kv_heads},
      {"head_size", c.head_size()},
      {"vocab_size", c.vocab_size},
      {"context_length", c.seq_len},
      {"shared_classifier", c.shared_classifier},
      {"parameters", model->parameter_count()},
      {"file_bytes", model->file_bytes()},
      {"isa", isa_name(active_isa())},
  };
  if (is_gguf_file(path)) add_gguf_fields(path, fields);
  if (args.json) return write_stdout(dump_json(fields) + "\n");
  std::string out;
  for (const auto& [key, value] : fields.items())
    out += fmt::format("{:<18} {}\n", key,
                       value.is_string() ? value.get<std::string>() : dump_json(value));
  write_stdout(out);
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "Show a model's dimensions, size and kernels");
  cmd->add_option("-m,--model", args->model, "model file (default: stories260K)");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] { run_info(*args); });
}

}  // namespace engine::cli
