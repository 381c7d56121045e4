// engine info: a model's hyper-parameters, size and the kernels that will run it.
#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "cli/commands.hpp"
#include "cli/json_output.hpp"
#include "cli/model_files.hpp"
#include "cli/option_checks.hpp"
#include "cli/standard_output.hpp"
#include "engine/model/gguf_summary.hpp"
#include "engine/ops/isa.hpp"
#include "engine/tokenizer.hpp"

namespace engine::cli {
namespace {

struct InfoArgs {
  std::string model;
  int context_length = 0;  // 0: the model's
  bool json = false;
};

// Phi-3's LongRoPE: which of the file's two factor sets the context selects, by Model::load's
// rule (long past the context the model was trained with), and the two numbers compared.
std::string long_rope_choice(const GgufSummary& gguf, const Model& model) {
  const int context = model.config().seq_len;
  const std::uint64_t original = gguf.original_context_length.value_or(context);
  return model.uses_long_rope_factors()
             ? fmt::format("long (context {} > original {})", context, original)
             : fmt::format("short (context {} <= original {})", context, original);
}

// What a GGUF file says about itself: format version, tensor types (with their counts), the
// tokenizer it embeds (kind, pre-tokenizer, the tokens that end generation) and whether it
// carries a chat template.
void add_gguf_fields(const std::string& path, const Model& model, nlohmann::ordered_json& fields) {
  const GgufSummary gguf = summarize_gguf(path);
  std::string types;
  for (const auto& [name, count] : gguf.tensor_types)
    types += fmt::format("{}{} ({})", types.empty() ? "" : ", ", name, count);
  fields["format"] = fmt::format("gguf v{}", gguf.version);
  fields["tensor_types"] = types;
  if (gguf.has_long_rope_factors) fields["rope_factors"] = long_rope_choice(gguf, model);
  fields["tokenizer"] = gguf.tokenizer_model.value_or("none");
  const auto tokenizer = load_tokenizer(path);
  fields["pre_tokenizer"] = tokenizer->pre_tokenizer();
  std::string ends;
  for (const int id : tokenizer->end_of_generation_ids())
    ends += fmt::format("{}{} {}", ends.empty() ? "" : ", ", id, tokenizer->piece(id));
  fields["end_of_generation"] = ends;
  fields["chat_template"] = gguf.has_chat_template;
}

void run_info(const InfoArgs& args) {
  const std::string path = resolve_model_files({args.model, "-"}).model;
  const auto model = Model::load(path, DType::f32, args.context_length);
  const ModelConfig& c = model->config();
  nlohmann::ordered_json fields = {
      {"model", path},
      {"architecture", architecture_name(c.architecture)},
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
  if (is_gguf_file(path)) add_gguf_fields(path, *model, fields);
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
  cmd->add_option("-c,--ctx,--ctx-size", args->context_length,
                  "context length to describe the model at (default: the model's; it chooses "
                  "Phi-3's LongRoPE factors)")
      ->check(whole_number_at_least(1));
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] { run_info(*args); });
}

}  // namespace engine::cli
