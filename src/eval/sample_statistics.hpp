// The mean of a sample and its standard error, for per-token losses and divergences.
#pragma once

#include <span>

namespace engine {

struct MeanAndError {
  double mean = 0;
  /// The sample standard deviation (n - 1) over sqrt(n); 0 for fewer than two values.
  double std_error = 0;
};

/// Two passes in double (the mean, then the squared deviations from it). `values` not empty.
MeanAndError mean_and_std_error(std::span<const double> values);

}  // namespace engine
