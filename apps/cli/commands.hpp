// The `engine` subcommands: each file adds one to the app and runs it.
#pragma once

#include <CLI/CLI.hpp>

namespace engine::cli {

void add_generate_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_mask_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_template_command(CLI::App& app);
void add_chat_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_perplexity_command(CLI::App& app);

}  // namespace engine::cli
