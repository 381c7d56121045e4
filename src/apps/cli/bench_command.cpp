// engine bench: prompt processing (pp: one block of N tokens) and text generation (tg: N
// single-token steps) throughput, in the spirit of llama-bench, with effective weight bandwidth
// and the share of the machine's measured memory roofline.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <random>

#include "cli/bench_clock.hpp"
#include "cli/commands.hpp"
#include "cli/json_output.hpp"
#include "cli/model_files.hpp"
#include "cli/option_checks.hpp"
#include "cli/standard_output.hpp"
#include "common/log.hpp"
#include "engine/error.hpp"
#include "engine/model/session.hpp"
#include "engine/ops/isa.hpp"
#include "engine/ops/memory_bandwidth.hpp"
#include "engine/runtime.hpp"

namespace engine::cli {
namespace {

struct BenchArgs {
  std::string model;
  int n_prompt = 128;
  int n_gen = 128;
  std::vector<int> threads = {0};
  std::vector<int> batches = {1};
  int repetitions = 5;
  std::vector<std::string> weight_types = {"f32"};
  std::string output = "md";
  std::string clock = "wall";
};

struct BenchRow {
  std::string model, weight_type, test;
  int n_threads = 0, n_prompt = 0, n_gen = 0, n_batch = 1;
  double avg_ts = 0, stddev_ts = 0, gbps = 0, roofline_pct = 0, load_ms = 0, ttft_ms = 0;
  std::uint64_t model_bytes = 0;
};

BenchClock parse_clock(const std::string& name) {
  if (name == "wall") return BenchClock::wall;
  if (name == "cpu") return BenchClock::cpu;
  throw Error(ErrorCode::invalid_argument,
              fmt::format("unknown clock '{}' (expected wall|cpu)", name));
}

void mean_stddev(const std::vector<double>& v, double& mean, double& stddev) {
  mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  stddev = v.size() > 1 ? std::sqrt(var / (v.size() - 1)) : 0.0;
}

// The weight types the matrix products run on: one name ("q8_0"), or each type with its count
// of matrices when the file mixes them ("q8_0 (35), f32 (1)").
std::string weight_types_ran(const Model& model) {
  std::map<std::string_view, int> counts;
  for (const auto& [dtype, count] : model.matrix_types()) counts[dtype_name(dtype)] = count;
  if (counts.size() == 1) return std::string(counts.begin()->first);
  std::string mix;
  for (const auto& [name, count] : counts)
    mix += fmt::format("{}{} ({})", mix.empty() ? "" : ", ", name, count);
  return mix;
}

// Runs pp and tg for one (weight type, thread count); appends their rows.
void bench_one(const BenchArgs& args, const std::string& path, const std::string& weight_type,
               int threads, double roofline_gbps, std::vector<BenchRow>& rows) {
  const BenchClock clock = parse_clock(args.clock);
  const auto seconds_since = [clock](double start) { return clock_seconds(clock) - start; };
  const double load_start = clock_seconds(clock);
  const auto model = Model::load(path, parse_dtype(weight_type));
  const double load_ms = seconds_since(load_start) * 1e3;
  const ModelConfig& c = model->config();
  // pp and tg are separate tests: each must fit in the context on its own.
  if (args.n_prompt > c.seq_len)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("-p {}: a prompt longer than the context of {}", args.n_prompt, c.seq_len));
  if (args.n_gen > c.seq_len)
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("-n {}: more steps than the context of {} holds", args.n_gen, c.seq_len));
  std::mt19937 rng(42);
  std::vector<int> tokens(std::max(args.n_prompt, args.n_gen));
  for (int& t : tokens) t = 3 + static_cast<int>(rng() % (c.vocab_size - 3));
  // The prompt's session (and its KV cache) ends before the generation ones start, so the
  // run's peak memory is one session's, as a run of `generate` holds.
  auto prompt_session = std::make_unique<Session>(model);
  Session& session = *prompt_session;

  // Warm-up: first touches of the weights, OpenMP pool start, caches, and the scratch a block
  // of the prompt's size grows on first use (a 16-token warm-up left that to the first pp run).
  if (args.n_prompt > 0) session.forward(std::span(tokens).first(args.n_prompt));
  session.reset();
  session.forward(std::span(tokens).first(1));

  BenchRow base;
  base.model = path;
  base.weight_type = weight_types_ran(*model);
  base.n_threads = threads;
  base.model_bytes = model->weight_bytes_per_token();
  base.load_ms = load_ms;
  const auto finish = [&](BenchRow row, const std::vector<double>& tps, double blocks_per_s) {
    mean_stddev(tps, row.avg_ts, row.stddev_ts);
    row.gbps = row.model_bytes * blocks_per_s / 1e9;
    row.roofline_pct = roofline_gbps > 0 ? 100.0 * row.gbps / roofline_gbps : 0.0;
    rows.push_back(row);
  };

  if (args.n_prompt > 0) {
    std::vector<double> tps, seconds;
    for (int r = 0; r < args.repetitions; ++r) {
      session.reset();
      const double start = clock_seconds(clock);
      session.forward(std::span(tokens).first(args.n_prompt));
      seconds.push_back(seconds_since(start));
      tps.push_back(args.n_prompt / seconds.back());
    }
    BenchRow row = base;
    row.test = fmt::format("pp{}", args.n_prompt);
    row.n_prompt = args.n_prompt;
    row.ttft_ms = 1e3 * std::accumulate(seconds.begin(), seconds.end(), 0.0) / seconds.size();
    finish(row, tps, 1e3 / row.ttft_ms);
  }
  prompt_session.reset();
  // tg: n single-token steps for each of `batch` sequences in one forward pass per step, the
  // first fed BOS as llama-bench does; the rate counts the tokens of all sequences (weights are
  // read once per step for the batch).
  for (int batch : args.batches) {
    if (args.n_gen == 0) break;
    Session batched(model, batch);
    std::vector<int> sequences(batch), step(batch);
    std::iota(sequences.begin(), sequences.end(), 0);
    std::vector<double> tps;
    for (int r = 0; r < args.repetitions; ++r) {
      batched.reset();
      const double start = clock_seconds(clock);
      for (int i = 0; i < args.n_gen; ++i) {
        std::fill(step.begin(), step.end(), i == 0 ? 1 : tokens[i]);  // 1: BOS
        batched.forward_batch(step, sequences);
      }
      tps.push_back(static_cast<double>(batch) * args.n_gen / seconds_since(start));
    }
    BenchRow row = base;
    row.test =
        batch == 1 ? fmt::format("tg{}", args.n_gen) : fmt::format("tg{} b{}", args.n_gen, batch);
    row.n_gen = args.n_gen;
    row.n_batch = batch;
    double mean, stddev;
    mean_stddev(tps, mean, stddev);
    finish(row, tps, mean / batch);
  }
}

std::string format_rows(const std::vector<BenchRow>& rows, const std::string& format) {
  std::string out;
  if (format == "json") {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const BenchRow& r : rows)
      array.push_back({{"model", r.model},
                       {"weight_type", r.weight_type},
                       {"n_threads", r.n_threads},
                       {"test", r.test},
                       {"n_prompt", r.n_prompt},
                       {"n_gen", r.n_gen},
                       {"avg_ts", r.avg_ts},
                       {"stddev_ts", r.stddev_ts},
                       {"model_bytes", r.model_bytes},
                       {"gbps", r.gbps},
                       {"roofline_pct", r.roofline_pct},
                       {"load_ms", r.load_ms},
                       {"ttft_ms", r.ttft_ms},
                       {"n_batch", r.n_batch}});
    return dump_json(array, 2) + "\n";
  }
  if (format == "csv") {
    out =
        "model,weight_type,n_threads,test,n_prompt,n_gen,avg_ts,stddev_ts,model_bytes,gbps,"
        "roofline_pct,load_ms,ttft_ms,n_batch\n";
    for (const BenchRow& r : rows)
      out += fmt::format("{},{},{},{},{},{},{:.3f},{:.3f},{},{:.3f},{:.2f},{:.3f},{:.3f},{}\n",
                         r.model, r.weight_type, r.n_threads, r.test, r.n_prompt, r.n_gen, r.avg_ts,
                         r.stddev_ts, r.model_bytes, r.gbps, r.roofline_pct, r.load_ms, r.ttft_ms,
                         r.n_batch);
    return out;
  }
  out =
      "| model | weights | threads | test | t/s | GB/s | roofline | load ms | ttft ms |\n"
      "|---|---|--:|---|--:|--:|--:|--:|--:|\n";
  for (const BenchRow& r : rows)
    out += fmt::format(
        "| {} | {} | {} | {} | {:.1f} ± {:.1f} | {:.1f} | {:.0f} % | {:.1f} | {} |\n", r.model,
        r.weight_type, r.n_threads, r.test, r.avg_ts, r.stddev_ts, r.gbps, r.roofline_pct,
        r.load_ms, r.ttft_ms > 0 ? fmt::format("{:.2f}", r.ttft_ms) : "");
  return out;
}

void run_bench(const BenchArgs& args) {
  if (args.output != "md" && args.output != "json" && args.output != "csv")
    throw Error(ErrorCode::invalid_argument,
                fmt::format("unknown output format '{}' (expected md|json|csv)", args.output));
  for (const std::string& w : args.weight_types) parse_dtype(w);  // fail before any work
  const BenchClock clock = parse_clock(args.clock);
  if (args.n_prompt == 0 && args.n_gen == 0)
    throw Error(ErrorCode::invalid_argument, "nothing to measure: -p and -n are both 0");
  const std::string path = resolve_model_files({args.model, "-"}).model;
  std::vector<BenchRow> rows;
  std::string header;
  for (int threads : args.threads) {
    set_num_threads(threads);
    const int n = num_threads();
    const double roofline = measure_read_bandwidth_gbps([clock] { return clock_seconds(clock); });
    header +=
        fmt::format("memory read bandwidth ({} thread{}{}): {:.1f} GB/s\n", n, n == 1 ? "" : "s",
                    clock == BenchClock::cpu ? ", CPU time" : "", roofline);
    for (const std::string& w : args.weight_types) bench_one(args, path, w, n, roofline, rows);
  }
  app::log(LogLevel::info, "kernels: {}", isa_name(active_isa()));
  const std::string out =
      (args.output == "md" ? header + "\n" : "") + format_rows(rows, args.output);
  if (args.output != "md") app::log(LogLevel::info, "{}", header.substr(0, header.size() - 1));
  write_stdout(out);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure prompt and generation throughput");
  cmd->add_option("-m,--model", args->model, "model file (default: stories260K)");
  cmd->add_option("-p,--n-prompt", args->n_prompt, "prompt tokens (pp test; 0 = skip)")
      ->check(whole_number_at_least(0))
      ->capture_default_str();
  cmd->add_option("-n,--n-gen", args->n_gen, "generated tokens (tg test; 0 = skip)")
      ->check(whole_number_at_least(0))
      ->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "thread counts, e.g. 1,2 (0 = one per idle CPU)")
      ->delimiter(',')
      ->check(whole_number_at_least(0));
  cmd->add_option("-b,--batch", args->batches, "tg batch sizes, e.g. 1,4,8,16")
      ->delimiter(',')
      ->check(whole_number_at_least(1));
  cmd->add_option("-r,--repetitions", args->repetitions, "repetitions per test")
      ->check(whole_number_at_least(1))
      ->capture_default_str();
  cmd->add_option("--weight-type", args->weight_types, "f32,bf16,q8")->delimiter(',');
  cmd->add_option("-o,--output", args->output, "md|json|csv")->capture_default_str();
  cmd->add_option("--clock", args->clock,
                  "wall|cpu: time on the wall, or by the CPU time of all the process's "
                  "threads (on cores other processes load: what a run would take alone; t/s "
                  "and GB/s are then per CPU second)")
      ->capture_default_str();
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace engine::cli
