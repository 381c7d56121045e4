// `engine`: generate text, tokenize, inspect and evaluate models from the command line.
// Generated text goes to stdout; logs and errors go to stderr. Every failure is one line on
// stderr and a non-zero exit code.
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "cli/standard_output.hpp"
#include "engine/error.hpp"
#include "engine/log.hpp"
#include "engine/ops/isa.hpp"
#include "engine/version.hpp"

namespace {

int fail(const char* message, int code) {
  std::fprintf(stderr, "engine: error: %s\n", message);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"engine: a Transformer decoder inference engine"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--log-level, -v) may follow the subcommand
  app.set_version_flag("--version", engine::version());
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str();
  app.add_flag_callback(
      "-v,--verbose", [&] { log_level = "debug"; }, "same as --log-level debug");
  app.parse_complete_callback([&] {
    engine::set_log_level(engine::parse_log_level(log_level));
    engine::active_isa();  // a bad ENGINE_ISA fails here, before any work
  });

  engine::cli::add_generate_command(app);
  engine::cli::add_tokenize_command(app);
  engine::cli::add_info_command(app);
  engine::cli::add_eval_command(app);
  engine::cli::add_mask_command(app);
  engine::cli::add_synth_command(app);
  engine::cli::add_bench_command(app);
  engine::cli::add_convert_command(app);
  engine::cli::add_template_command(app);
  engine::cli::add_chat_command(app);
  engine::cli::add_serve_command(app);

  try {
    app.parse(argc, argv);
    engine::cli::check_stdout();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // "A subcommand is required" for `engine frobnicate` hides the real problem: name it.
    const auto rest = app.remaining();
    if (app.get_subcommands().empty() && !rest.empty())
      return fail(("unknown command '" + rest.front() + "' (see engine --help)").c_str(), 2);
    return fail(e.what(), 2);
  } catch (const engine::Error& e) {
    return fail(e.what(), 1);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
  return 0;
}
