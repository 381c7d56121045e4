// engine mask: print an attention mask the way numpy prints it, optionally as a heatmap PNG.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/output_file.hpp"
#include "cli/render/heatmap.hpp"
#include "cli/standard_output.hpp"
#include "engine/attention/mask.hpp"
#include "engine/error.hpp"

namespace engine::cli {
namespace {

struct MaskArgs {
  std::string kind;
  int size = 0;
  int k = 0;
  std::vector<int> lengths;
  int window = 0;
  int prefix = 0;
  std::string png;
};

/// A --kind: its own option (if any) and how it builds its masks (one, or one per sequence).
struct MaskKind {
  std::string_view name;
  std::string_view option;  // "" when the kind takes none
  bool option_required;
  bool batched;  // one mask per --lengths entry, printed as a 3-D array
  std::vector<Mask> (*build)(const MaskArgs&);
  // The title of mask `index`'s picture: the kind and its parameters.
  std::string (*title)(const MaskArgs&, std::size_t index);
};

const MaskKind kKinds[] = {
    {"causal", "", false, false,
     [](const MaskArgs& a) { return std::vector{subsequent_mask(a.size)}; },
     [](const MaskArgs& a, std::size_t) { return fmt::format("causal, size {}", a.size); }},
    {"triu", "--k", false, false, [](const MaskArgs& a) { return std::vector{triu(a.size, a.k)}; },
     [](const MaskArgs& a, std::size_t) {
       return fmt::format("triu, size {}, k {}", a.size, a.k);
     }},
    {"padding", "--lengths", true, true,
     [](const MaskArgs& a) { return padding_masks(a.lengths, a.size); },
     [](const MaskArgs& a, std::size_t i) {
       return fmt::format("padding, sequence {}: {} of {} valid", i, a.lengths[i], a.size);
     }},
    {"window", "--window", true, false,
     [](const MaskArgs& a) { return std::vector{sliding_window_mask(a.size, a.window)}; },
     [](const MaskArgs& a, std::size_t) {
       return fmt::format("sliding window {}, size {}", a.window, a.size);
     }},
    {"prefix", "--prefix", true, false,
     [](const MaskArgs& a) { return std::vector{prefix_lm_mask(a.size, a.prefix)}; },
     [](const MaskArgs& a, std::size_t) {
       return fmt::format("prefix-LM, prefix {}, size {}", a.prefix, a.size);
     }},
};
constexpr std::string_view kKindOptions[] = {"--k", "--lengths", "--window", "--prefix"};
// A printed mask is for reading: 4096 is already 16M entries (and a 4096 px heatmap).
constexpr int kMaxSize = 4096;

[[noreturn]] void fail(const std::string& message) {
  throw Error(ErrorCode::invalid_argument, message);
}

/// The --kind, once the options given fit it: its own option present when required, no other
/// kind's option (a stray --window on a causal mask is a mistake worth naming).
const MaskKind& checked_kind(const CLI::App& cmd, const MaskArgs& args) {
  const MaskKind* kind = nullptr;
  for (const MaskKind& k : kKinds)
    if (k.name == args.kind) kind = &k;
  if (!kind)
    fail(fmt::format("unknown mask kind '{}' (expected causal, triu, padding, window or prefix)",
                     args.kind));
  if (args.size <= 0 || args.size > kMaxSize)
    fail(fmt::format("--size must be in [1, {}], got {}", kMaxSize, args.size));
  for (std::string_view option : kKindOptions)
    if (option != kind->option && cmd.count(std::string(option)))
      fail(fmt::format("{} does not apply to --kind {}", option, kind->name));
  if (kind->option_required && !cmd.count(std::string(kind->option)))
    fail(fmt::format("--kind {} needs {}", kind->name, kind->option));
  return *kind;
}

/// Where mask `index` of `count` goes: FILE itself for one, FILE-<index>.png style for several.
std::string png_path(const std::string& file, std::size_t index, std::size_t count) {
  if (count == 1) return file;
  std::filesystem::path path(file);
  const std::string extension = path.extension().string();
  return path.replace_extension().string() + fmt::format("-{}", index) + extension;
}

void run_mask(const CLI::App& cmd, const MaskArgs& args) {
  const MaskKind& kind = checked_kind(cmd, args);
  const std::vector<Mask> masks = kind.build(args);
  // The PNGs' files first: a target that cannot be created fails before anything is printed.
  std::vector<std::unique_ptr<OutputFile>> pngs;
  if (!args.png.empty())
    for (std::size_t i = 0; i < masks.size(); ++i)
      pngs.push_back(std::make_unique<OutputFile>(png_path(args.png, i, masks.size())));
  const std::string out = (kind.batched ? to_string(masks) : to_string(masks.front())) + "\n";
  write_stdout(out);
  for (std::size_t i = 0; i < pngs.size(); ++i) {
    write_heatmap_png(pngs[i]->temp_path(), masks[i], kind.title(args, i));
    pngs[i]->commit();
  }
}

}  // namespace

void add_mask_command(CLI::App& app) {
  auto args = std::make_shared<MaskArgs>();
  CLI::App* cmd = app.add_subcommand("mask", "Print an attention mask (1 = may attend)");
  cmd->add_option("--kind", args->kind, "causal|triu|padding|window|prefix")->required();
  cmd->add_option("--size", args->size, "number of positions (rows and columns), 1..4096")
      ->required();
  cmd->add_option("--k", args->k, "triu: numpy.triu(ones, k), 1 where col - row >= k")
      ->capture_default_str();
  cmd->add_option("--lengths", args->lengths,
                  "padding: valid lengths of a left-padded batch, e.g. 3,5,2")
      ->delimiter(',');
  cmd->add_option("--window", args->window, "window: each query sees its last W keys");
  cmd->add_option("--prefix", args->prefix,
                  "prefix: the first P positions attend among themselves, the rest causally");
  cmd->add_option("--png", args->png,
                  "also write a heatmap PNG titled with the kind (padding with several lengths: "
                  "one per sequence, FILE.png -> FILE-0.png, FILE-1.png, ...)");
  cmd->footer(
      "Prints the 0/1 matrix as numpy prints it: rows are queries, columns keys.\n"
      "causal = 1 - triu(ones, k=1). padding prints a 3-D (batch, size, size) array like\n"
      "numpy.stack: for each sequence, padded key columns and padded query rows are 0.");
  cmd->callback([cmd, args] { run_mask(*cmd, *args); });
}

}  // namespace engine::cli
