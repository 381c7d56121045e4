// engine bench -o json on the real model: every documented key, positive numbers. No timing
// assertions: throughput is measured, not tested.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

TEST(Bench, JsonHasEveryKeyWithPositiveNumbers) {
  const CliResult r =
      run_cli("bench -m " + quote(require_model("stories260K.bin")) +
              " -p 16 -n 8 -r 1 -t 1 -b 1,2 --weight-type f32,q8 -o json" + " --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.front(), '[');
  // One object per line: pp and tg for each weight type, tg for batch 2 too.
  std::istringstream lines(r.out);
  std::string line;
  int objects = 0;
  while (std::getline(lines, line)) {
    if (line.find('{') == std::string::npos) continue;
    ++objects;
    for (const char* key : {"model", "weight_type", "n_threads", "test", "n_prompt", "n_gen",
                            "avg_ts", "stddev_ts", "model_bytes", "gbps", "roofline_pct"})
      EXPECT_NE(line.find(std::string("\"") + key + "\": "), std::string::npos)
          << key << " in " << line;
    for (const char* key : {"avg_ts", "model_bytes", "gbps", "roofline_pct"}) {
      const std::string label = std::string("\"") + key + "\": ";
      const auto at = line.find(label);
      ASSERT_NE(at, std::string::npos) << key;
      EXPECT_GT(std::strtod(line.c_str() + at + label.size(), nullptr), 0.0)
          << key << " in " << line;
    }
  }
  EXPECT_EQ(objects, 6);
}

TEST(Bench, BadOptionsAreOneErrorLine) {
  const CliResult r = run_cli("bench -o yaml");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << r.err;
}

}  // namespace
}  // namespace engine::test
