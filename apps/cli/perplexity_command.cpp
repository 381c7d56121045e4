// engine perplexity: how well a model predicts a text, over the scored tokens of a loss mask, and
// how far a weight type's next-token distributions are from the f32 model's (KL divergence).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/json_output.hpp"
#include "cli/model_files.hpp"
#include "cli/output_file.hpp"
#include "cli/standard_output.hpp"
#include "engine/error.hpp"
#include "engine/eval/kl_divergence.hpp"
#include "engine/eval/log_prob_file.hpp"
#include "engine/eval/perplexity.hpp"
#include "engine/runtime.hpp"

namespace engine::cli {
namespace {

struct PerplexityArgs {
  ModelFiles files;
  std::string text_file;
  int ctx = 0;     // 0: 512, or the model's context if shorter
  int stride = 0;  // 0: ctx / 2
  int batch = 1;
  bool lines = false;
  std::string weight_type = "f32";
  std::string kl_base_out;
  std::string kl_base_in;
  int threads = 0;
  bool json = false;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::io, fmt::format("cannot read {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().empty())
    throw Error(ErrorCode::invalid_argument, fmt::format("{} is empty", path));
  return text.str();
}

std::int64_t tokens_to_score(std::span<const ScoredSequence> sequences) {
  std::int64_t n = 0;
  for (const ScoredSequence& s : sequences)
    n += std::count(s.scored.begin(), s.scored.end(), std::uint8_t{1});
  return n;
}

// The sequences to score: one per line, or strided windows over the whole text.
std::vector<ScoredSequence> sequences_of(const PerplexityArgs& args, const std::string& text,
                                         const Tokenizer& tokenizer, int ctx, int stride) {
  const int bos = tokenizer.add_bos() ? tokenizer.bos_id() : -1;
  if (!args.lines) {
    const std::vector<int> tokens = tokenizer.encode(text, false, false);
    if (tokens.size() < 2)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("{} is shorter than two tokens: nothing to score", args.text_file));
    return strided_windows(tokens, bos, ctx, stride);
  }
  std::vector<std::vector<int>> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(tokenizer.encode(line, false, false));
    const std::size_t length = lines.back().size() + (bos >= 0 ? 1 : 0);
    if (length > static_cast<std::size_t>(ctx))
      throw Error(ErrorCode::context_full,
                  fmt::format("line {} of {} is {} tokens, more than the context of {}",
                              lines.size(), args.text_file, length, ctx));
  }
  std::vector<ScoredSequence> sequences = line_sequences(lines, bos);
  if (tokens_to_score(sequences) < 2)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("the lines of {} score fewer than two tokens", args.text_file));
  return sequences;
}

nlohmann::ordered_json kl_json(const KlDivergenceResult& kl, const std::string& base) {
  return {{"base", base},
          {"tokens", kl.tokens},
          {"mean", kl.mean},
          {"std_error", kl.std_error},
          {"p99", kl.p99},
          {"max", kl.max},
          {"top1_agreement", kl.top1_agreement}};
}

void run_perplexity(const PerplexityArgs& args) {
  set_num_threads(args.threads);
  const ModelFiles files = resolve_model_files(args.files);
  const std::string text = read_text(args.text_file);
  const DType weight_type = parse_dtype(args.weight_type);
  const std::array inputs{files.model, files.tokenizer, args.text_file, args.kl_base_in};
  std::optional<OutputFile> base_out;
  if (!args.kl_base_out.empty()) base_out.emplace(args.kl_base_out, inputs);
  const LoadedModel loaded = load_model_and_tokenizer(files, 0, weight_type);
  const int context = loaded.model->config().seq_len;
  if (args.ctx > context)
    throw Error(
        ErrorCode::context_full,
        fmt::format("--ctx {} is longer than the model's context of {}", args.ctx, context));
  const int ctx = args.ctx > 0 ? args.ctx : std::min(512, context);
  const int stride = args.stride > 0 ? args.stride : ctx / 2;
  const std::vector<ScoredSequence> sequences =
      sequences_of(args, text, *loaded.tokenizer, ctx, stride);
  const std::int64_t scored = tokens_to_score(sequences);
  const int vocab = loaded.model->config().vocab_size;

  std::optional<LogProbFileWriter> base_writer;
  const std::uint64_t fingerprint = sequences_fingerprint(sequences);
  if (base_out) base_writer.emplace(base_out->temp_path(), vocab, scored, fingerprint);
  std::optional<LogProbFile> base_in;
  std::optional<KlDivergence> kl;
  if (!args.kl_base_in.empty()) {
    base_in.emplace(args.kl_base_in);
    if (base_in->vocab_size() != vocab || base_in->tokens() != scored ||
        base_in->fingerprint() != fingerprint)
      throw Error(
          ErrorCode::invalid_argument,
          fmt::format("{} holds {} tokens of a vocabulary of {}; this run scores {} of {} or "
                      "in other windows (another text, --ctx, --stride, --lines or model?)",
                      args.kl_base_in, base_in->tokens(), base_in->vocab_size(), scored, vocab));
    kl.emplace();
  }
  const auto observe = [&](const ScoredToken& token) {
    if (base_writer) base_writer->write(token.index, token.target, token.log_probs);
    if (!base_in) return;
    if (base_in->target(token.index) != token.target)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("{} scored other tokens than this run (another text or tokenizer?)",
                              args.kl_base_in));
    kl->add(base_in->log_probs(token.index), token.log_probs);
  };

  Session session(loaded.model,
                  static_cast<int>(std::min<std::size_t>(args.batch, sequences.size())));
  const PerplexityResult r = score_sequences(session, sequences, observe);
  if (base_writer) {
    base_writer->close();
    base_out->commit();
  }
  const double tokens_per_second = static_cast<double>(r.tokens_evaluated) / r.seconds;

  if (args.json) {
    nlohmann::ordered_json out = {
        {"model", files.model},
        {"weight_type", dtype_name(weight_type)},
        {"text", args.text_file},
        {"mode", args.lines ? "lines" : "windows"},
        {"ctx", ctx},
        {"stride", args.lines ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(stride)},
        {"batch", session.max_batch()},
        {"sequences", sequences.size()},
        {"tokens_scored", r.tokens_scored},
        {"tokens_evaluated", r.tokens_evaluated},
        {"mean_nll", r.mean_nll},
        {"nll_std_error", r.nll_std_error},
        {"perplexity", r.perplexity},
        {"perplexity_std_error", r.perplexity_std_error},
        {"seconds", r.seconds},
        {"tokens_per_second", tokens_per_second}};
    if (kl) out["kl_divergence"] = kl_json(kl->result(), args.kl_base_in);
    write_stdout(dump_json(out) + "\n");
    return;
  }
  std::string report =
      fmt::format("perplexity {:.4f} ± {:.4f} (mean NLL {:.5f} nats) over {} scored tokens\n",
                  r.perplexity, r.perplexity_std_error, r.mean_nll, r.tokens_scored);
  report += args.lines ? fmt::format("{} lines", sequences.size())
                       : fmt::format("{} windows of up to {} tokens, stride {}", sequences.size(),
                                     ctx, stride);
  report += fmt::format(", batch {}: {} tokens in {:.2f} s, {:.1f} tokens/s\n", session.max_batch(),
                        r.tokens_evaluated, r.seconds, tokens_per_second);
  if (kl) {
    const KlDivergenceResult k = kl->result();
    report += fmt::format(
        "KL divergence from {}: mean {:.4g} ± {:.2g}, 99th percentile {:.4g}, max {:.4g}, "
        "top-1 agreement {:.2f} %\n",
        args.kl_base_in, k.mean, k.std_error, k.p99, k.max, 100 * k.top1_agreement);
  }
  if (base_out) report += fmt::format("log-probabilities written to {}\n", args.kl_base_out);
  write_stdout(report);
}

}  // namespace

void add_perplexity_command(CLI::App& app) {
  auto args = std::make_shared<PerplexityArgs>();
  CLI::App* cmd = app.add_subcommand(
      "perplexity", "Perplexity of a text over the tokens a loss mask scores; KL divergence");
  cmd->add_option("-m,--model", args->files.model, "model file (default: stories260K)");
  cmd->add_option("-z,--tokenizer", args->files.tokenizer, "tokenizer file");
  cmd->add_option("-f,--file", args->text_file, "UTF-8 text to score")->required();
  cmd->add_option("--ctx", args->ctx,
                  "tokens per window, BOS included (default: 512, or the model's context if "
                  "shorter); with --lines the longest line")
      ->check(CLI::Range(2, 1 << 20));
  auto* stride = cmd->add_option("--stride", args->stride,
                                 "text tokens a window advances by; it scores only the tokens no "
                                 "window before reached (default: ctx / 2)")
                     ->check(CLI::PositiveNumber);
  cmd->add_option("--batch", args->batch, "sequences per padded batch")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_flag("--lines", args->lines,
                "each line its own sequence, BOS first, every token after it scored")
      ->excludes(stride);
  cmd->add_option("--weight-type", args->weight_type, "f32|bf16|q8|... (converted at load)")
      ->capture_default_str();
  auto* base_out = cmd->add_option("--kl-divergence-base", args->kl_base_out,
                                   "write the log-probabilities of the scored tokens here");
  cmd->add_option("--kl-divergence", args->kl_base_in,
                  "compare against a --kl-divergence-base file: KL divergence, top-1 agreement")
      ->excludes(base_out);
  cmd->add_option("-t,--threads", args->threads, "threads (0 = one per idle CPU)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] { run_perplexity(*args); });
}

}  // namespace engine::cli
