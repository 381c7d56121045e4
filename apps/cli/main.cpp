// `engine`: generate text, tokenize, inspect and evaluate models from the command line.
// Generated text goes to stdout; logs and errors go to stderr. Every failure is one line on
// stderr and a non-zero exit code.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "cli/standard_output.hpp"
#include "engine/error.hpp"
#include "engine/log.hpp"
#include "engine/ops/isa.hpp"
#include "engine/version.hpp"

namespace {

// Exit statuses: 2 for a usage error (an option or argument the command cannot take), 1 for
// anything that went wrong while running.
constexpr int kUsageError = 2;
constexpr int kRunError = 1;

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "engine: error: %s\n", message.c_str());
  return code;
}

// The edit distance between two option names, to suggest the one meant.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "unexpected arguments: upon a time" in the order given, with the closest long option of the
// command for anything that looks like a mistyped one ("--temprature: did you mean
// --temperature?").
std::string unexpected_arguments(const CLI::App& app, const std::vector<std::string>& extras) {
  const CLI::App* command = app.get_subcommands().empty() ? &app : app.get_subcommands().front();
  std::string message = "unexpected argument" + std::string(extras.size() > 1 ? "s" : "") + ":";
  for (const std::string& extra : extras) message += " " + extra;
  for (const std::string& extra : extras) {
    if (extra.rfind("-", 0) != 0) continue;
    const std::string name = extra.substr(0, extra.find('='));
    std::string best;
    std::size_t best_distance = 3;  // at most 2 edits, or a prefix
    for (const CLI::Option* option : command->get_options())
      for (const std::string& long_name : option->get_lnames()) {
        const std::string candidate = "--" + long_name;
        const std::size_t d =
            candidate.rfind(name, 0) == 0 && name.size() > 2 ? 1 : distance(name, candidate);
        if (d < best_distance) {
          best_distance = d;
          best = candidate;
        }
      }
    if (!best.empty()) message += fmt::format(" ({}: did you mean {}?)", name, best);
  }
  if (extras.size() > 1 && extras.front().rfind("-", 0) != 0)
    message += " (quote a text with spaces)";
  return message;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"engine: a Transformer decoder inference engine"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--log-level, -v) may follow the subcommand
  app.set_version_flag("--version", engine::version());
  app.footer(
      "Without -m, commands use stories260K.bin (and tok512.bin) in the models folder:\n"
      "$ENGINE_MODELS_DIR, else models/ of the source tree engine was built in, else\n"
      "<prefix>/share/engine/models of an installed engine, else ./models.\n"
      "Exit status: 0 success; 2 a usage error (an option or argument out of range or\n"
      "unknown); 1 any other error. Every error is one 'engine: error:' line on stderr.");
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
  engine::cli::add_perplexity_command(app);

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
      return fail("unknown command '" + rest.front() + "' (see engine --help)", kUsageError);
    if (dynamic_cast<const CLI::ExtrasError*>(&e) && !rest.empty())
      return fail(unexpected_arguments(app, rest), kUsageError);
    return fail(e.what(), kUsageError);
  } catch (const engine::Error& e) {
    return fail(e.what(),
                e.code() == engine::ErrorCode::invalid_argument ? kUsageError : kRunError);
  } catch (const std::exception& e) {
    return fail(e.what(), kRunError);
  }
  return 0;
}
