// engine bench -o json on the real model: every documented key, positive numbers. No timing
// assertions: throughput is measured, not tested.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

TEST(Bench, JsonHasEveryKeyWithPositiveNumbers) {
  const CliResult r =
      run_cli("bench -m " + quote(require_model("stories260K.bin")) +
              " -p 16 -n 8 -r 1 -t 1 -b 1,2 --weight-type f32,q8 -o json" + " --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // pp and tg for each weight type, tg for batch 2 too.
  const nlohmann::json rows = parse_json(r.out);
  ASSERT_TRUE(rows.is_array()) << r.out;
  EXPECT_EQ(rows.size(), 6u);
  for (const auto& row : rows) {
    for (const char* key : {"model", "weight_type", "test"}) EXPECT_TRUE(row[key].is_string());
    for (const char* key :
         {"n_threads", "n_prompt", "n_gen", "stddev_ts", "load_ms", "ttft_ms", "n_batch"})
      EXPECT_TRUE(row[key].is_number()) << key << " in " << row;
    for (const char* key : {"avg_ts", "model_bytes", "gbps", "roofline_pct"})
      EXPECT_GT(row[key].get<double>(), 0.0) << key << " in " << row;
  }
}

// Each test is checked against the context on its own: stories260K.gguf's context is 128,
// and pp128 and tg128 each fit it (llama-bench runs them), though not together.
TEST(Bench, PromptAndGenerationEachFitTheContextAlone) {
  const CliResult r = run_cli("bench -m " + quote(require_model("stories260K.gguf")) +
                              " -p 128 -n 128 -r 1 -t 1 -o json --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json rows = parse_json(r.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["test"], "pp128");
  EXPECT_EQ(rows[1]["test"], "tg128");
  const CliResult past =
      run_cli("bench -m " + quote(require_model("stories260K.gguf")) + " -p 16 -n 129 -r 1 -t 1");
  EXPECT_EQ(past.exit_code, 2);
  EXPECT_NE(past.err.find("-n 129"), std::string::npos) << past.err;
}

// Nothing to measure is said, not a crash (the warm-up took the first of no tokens).
TEST(Bench, NoTestIsAnErrorNotACrash) {
  for (const char* output : {"md", "json", "csv"}) {
    const CliResult r = run_cli(std::string("bench -p 0 -n 0 -r 1 -o ") + output);
    EXPECT_EQ(r.exit_code, 2) << r.err;  // a usage error
    EXPECT_EQ(r.err, "engine: error: nothing to measure: -p and -n are both 0\n");
  }
}

// weight_type is what ran, not what --weight-type asked for: a GGUF's own type, and the
// conversion at load of a llama2.c checkpoint. Q8_0 needs rows a multiple of 32 wide, so the
// 5 down projections (172 wide) stay f32 next to 31 Q8_0 matrices (6 per layer, the
// classifier): a mix, named with its counts.
TEST(Bench, WeightTypeIsTheTypeThatRan) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("bench_types_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string bin = quote(require_model("stories260K.bin")),
                    tok = quote(require_model("tok512.bin"));
  const std::pair<std::string, std::string> types[] = {
      {"f16", "f16"}, {"bf16", "bf16"}, {"q8_0", "f32 (5), q8_0 (31)"}};
  for (const auto& [type, ran] : types) {
    const std::string gguf = (dir / (type + ".gguf")).string();
    ASSERT_EQ(run_cli("convert " + bin + " -z " + tok + " -o " + quote(gguf) + " --type " + type +
                      " --log-level warn")
                  .exit_code,
              0);
    const CliResult r =
        run_cli("bench -m " + quote(gguf) + " -p 4 -n 0 -r 1 -t 1 -o json --log-level warn");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(parse_json(r.out)[0]["weight_type"], ran) << r.out;
  }
  const CliResult q8 =
      run_cli("bench -m " + bin + " -p 4 -n 0 -r 1 -t 1 --weight-type q8 -o json --log-level warn");
  ASSERT_EQ(q8.exit_code, 0) << q8.err;
  EXPECT_EQ(parse_json(q8.out)[0]["weight_type"], "f32 (5), q8_0 (31)") << q8.out;
  std::filesystem::remove_all(dir);
}

TEST(Bench, BadOptionsAreOneErrorLine) {
  for (const char* options : {"-o yaml", "--clock moon"}) {
    const CliResult r = run_cli(std::string("bench ") + options);
    EXPECT_NE(r.exit_code, 0) << options;
    EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << r.err;
  }
}

// On the process's CPU time: the probe and the rows are measured, and the header says so.
TEST(Bench, CpuClockMeasuresTheProbeAndTheRows) {
  const CliResult r = run_cli("bench -m " + quote(require_model("stories260K.bin")) +
                              " -p 0 -n 8 -r 1 -t 1 --clock cpu --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("memory read bandwidth (1 thread, CPU time): "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| tg8 |"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace engine::test
