// engine tokenize: print the token ids of a text.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/model_files.hpp"
#include "cli/standard_output.hpp"

namespace engine::cli {
namespace {

struct TokenizeArgs {
  std::string tokenizer;
  std::string text;
  bool bos = false;
  bool pieces = false;
};

void run_tokenize(const TokenizeArgs& args) {
  const std::string path =
      args.tokenizer.empty() ? resolve_model_files({}).tokenizer : args.tokenizer;
  const auto tokenizer = load_tokenizer(path);
  const std::vector<int> ids = tokenizer->encode(args.text, args.bos, false);
  std::string line;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (args.pieces) {
      line += fmt::format("{}\t{}\n", ids[i], tokenizer->piece(ids[i]));
    } else {
      line += (i ? " " : "") + std::to_string(ids[i]);
    }
  }
  if (!args.pieces) line += '\n';
  write_stdout(line);
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids of a text");
  cmd->add_option("-z,--tokenizer", args->tokenizer, "tokenizer file (default: tok512.bin)");
  cmd->add_flag("--bos", args->bos, "prepend BOS");
  cmd->add_flag("--pieces", args->pieces, "print one 'id<TAB>piece' line per token instead");
  cmd->add_option("text", args->text, "text to tokenize")->required();
  cmd->callback([args] { run_tokenize(*args); });
}

}  // namespace engine::cli
