// Range checks for number options that say the valid range in words ("--top-k: must be a whole
// number, 0 or more; got -1"), where CLI11's own print the type's limits as 309-digit numbers.
#pragma once

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <string>

namespace engine::cli {

/// A whole number >= `min`.
inline CLI::Validator whole_number_at_least(long long min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        long long value = 0;
        if (!CLI::detail::lexical_cast(text, value) || value < min)
          return fmt::format("must be a whole number, {} or more; got {}", min, text);
        return "";
      },
      fmt::format("INT >= {}", min));
}

/// A finite number >= `min`.
inline CLI::Validator number_at_least(double min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !std::isfinite(value) || value < min)
          return fmt::format("must be a number, {} or more; got {}", min, text);
        return "";
      },
      fmt::format("NUMBER >= {}", min));
}

/// A number in (0, 1]: more than 0, at most 1.
inline CLI::Validator fraction_above_zero() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !(value > 0.0 && value <= 1.0))
          return fmt::format("must be more than 0 and at most 1; got {}", text);
        return "";
      },
      "NUMBER in (0, 1]");
}

}  // namespace engine::cli
