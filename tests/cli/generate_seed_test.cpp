// --seed: -1 (the default) draws a random seed and logs it, so the run can be repeated with it;
// a seed below -1 or past 2^63 - 1 is an error, never silently wrapped.
#include <gtest/gtest.h>

#include <string>

#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

std::string base_args() {
  return "generate -m " + quote(require_model("stories260K.bin")) + " -z " +
         quote(require_model("tok512.bin")) + " -p 'Once upon a time' -n 40 --temperature 1";
}

// The digits after "seed " in the log ("" when there are none).
std::string logged_seed(const std::string& err) {
  const std::size_t at = err.find("seed ");
  if (at == std::string::npos) return "";
  const std::size_t begin = at + 5;
  const std::size_t end = err.find_first_not_of("0123456789", begin);
  return end == std::string::npos || end == begin || err[end] != ' '
             ? ""
             : err.substr(begin, end - begin);
}

TEST(GenerateSeed, MinusOneIsRandomAndLoggedToRepeat) {
  const CliResult a = run_cli(base_args() + " --seed -1");
  const CliResult b = run_cli(base_args() + " --seed -1");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(a.out, b.out);
  const std::string seed = logged_seed(a.err);
  ASSERT_FALSE(seed.empty()) << a.err;
  EXPECT_NE(seed, logged_seed(b.err));
  const CliResult again = run_cli(base_args() + " --seed " + seed);
  EXPECT_EQ(again.out, a.out);
  // No --seed is the same: random, logged.
  EXPECT_FALSE(logged_seed(run_cli(base_args()).err).empty());
}

TEST(GenerateSeed, OutOfRangeIsAnError) {
  for (const char* seed : {"-2", "18446744073709551615", "99999999999999999999"}) {
    const CliResult r = run_cli(base_args() + " --seed " + seed);
    EXPECT_NE(r.exit_code, 0) << seed;
    EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("seed"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace engine::test
