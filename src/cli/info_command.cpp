// engine info: a model's hyper-parameters, size and the kernels that will run it.
#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "cli/commands.hpp"
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

using Fields = std::vector<std::pair<std::string, std::string>>;

// What a GGUF file says about itself: format version, architecture, tensor types (with their
// counts) and the kind of tokenizer it embeds.
Fields gguf_fields(const std::string& path) {
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
  return {{"format", fmt::format("gguf v{}", gguf.version())},
          {"architecture", text("general.architecture")},
          {"tensor_types", types},
          {"tokenizer", text("tokenizer.ggml.model")}};
}

bool is_json_literal(const std::string& value) {
  return value == "true" || value == "false" ||
         (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos);
}

void run_info(const InfoArgs& args) {
  const std::string path = resolve_model_files({args.model, "-"}).model;
  const auto model = Model::load(path);
  const ModelConfig& c = model->config();
  Fields fields = {
      {"dim", std::to_string(c.dim)},
      {"hidden_dim", std::to_string(c.hidden_dim)},
      {"n_layers", std::to_string(c.n_layers)},
      {"n_heads", std::to_string(c.n_heads)},
      {"n_kv_heads", std::to_string(c.n_kv_heads)},
      {"head_size", std::to_string(c.head_size())},
      {"vocab_size", std::to_string(c.vocab_size)},
      {"context_length", std::to_string(c.seq_len)},
      {"shared_classifier", c.shared_classifier ? "true" : "false"},
      {"parameters", std::to_string(model->parameter_count())},
      {"file_bytes", std::to_string(model->file_bytes())},
      {"isa", std::string(isa_name(active_isa()))},
  };
  if (is_gguf_file(path)) {
    const Fields more = gguf_fields(path);
    fields.insert(fields.end(), more.begin(), more.end());
  }
  std::string out;
  if (args.json) {
    out = fmt::format("{{\"model\": \"{}\"", path);
    for (const auto& [key, value] : fields) {
      out += fmt::format(", \"{}\": {}", key, is_json_literal(value) ? value : "\"" + value + "\"");
    }
    out += "}\n";
  } else {
    out = fmt::format("{:<18} {}\n", "model", path);
    for (const auto& [key, value] : fields) out += fmt::format("{:<18} {}\n", key, value);
  }
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
