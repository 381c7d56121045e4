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

/// A finite number for which `ok(value)` holds; otherwise "must be <range>; got <text>".
template <typename Ok>
CLI::Validator number_where(Ok ok, const std::string& range, const std::string& description) {
  return CLI::Validator(
      [ok, range](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !std::isfinite(value) || !ok(value))
          return fmt::format("must be {}; got {}", range, text);
        return "";
      },
      description);
}

/// A finite number >= `min`.
inline CLI::Validator number_at_least(double min) {
  return number_where([min](double v) { return v >= min; },
                      fmt::format("a number, {} or more", min), fmt::format("NUMBER >= {}", min));
}

/// A number more than 0.
inline CLI::Validator number_above_zero() {
  return number_where([](double v) { return v > 0.0; }, "a number more than 0", "NUMBER > 0");
}

/// Any finite number.
inline CLI::Validator finite_number() {
  return number_where([](double) { return true; }, "a finite number", "NUMBER");
}

/// A number in (0, 1]: more than 0, at most 1.
inline CLI::Validator fraction_above_zero() {
  return number_where([](double v) { return v > 0.0 && v <= 1.0; }, "more than 0 and at most 1",
                      "NUMBER in (0, 1]");
}

/// A number in [0, 1].
inline CLI::Validator fraction() {
  return number_where([](double v) { return v >= 0.0 && v <= 1.0; }, "from 0 to 1",
                      "NUMBER in [0, 1]");
}

}  // namespace engine::cli
