#include "cli/sampling_options.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <random>

#include "common/log.hpp"
#include "engine/error.hpp"

namespace engine::cli {
namespace {

// --seed: -1 or a number from 0 to 2^63 - 1, parsed here because CLI11 wraps values past the
// type's range instead of refusing them.
std::int64_t parse_seed(const std::string& text) {
  std::int64_t seed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (error != std::errc() || end != text.data() + text.size() || seed < -1)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("--seed must be -1 (a random seed) or a whole number from 0 to {}, "
                            "got '{}'",
                            std::numeric_limits<std::int64_t>::max(), text));
  return seed;
}

}  // namespace

SamplingOptions seeded(SamplingOptions sampling, const std::string& seed) {
  const std::int64_t given = parse_seed(seed);
  if (given >= 0) {
    sampling.seed = static_cast<std::uint64_t>(given);
  } else {
    // 63 random bits, so the logged seed can be given back to --seed.
    std::random_device random;
    sampling.seed = ((std::uint64_t{random()} << 32) | random()) >> 1;
  }
  validate(sampling);
  return sampling;
}

void log_random_seed(const SamplingOptions& sampling, const std::string& seed) {
  if (parse_seed(seed) < 0 && sampling.temperature > 0.0f)
    app::log(LogLevel::info, "seed {} (pass --seed to repeat this run)", sampling.seed);
}

}  // namespace engine::cli
