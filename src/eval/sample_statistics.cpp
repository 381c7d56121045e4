#include "eval/sample_statistics.hpp"

#include <cmath>
#include <numeric>

namespace engine {

MeanAndError mean_and_std_error(std::span<const double> values) {
  const double n = static_cast<double>(values.size());
  MeanAndError r;
  r.mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  if (values.size() < 2) return r;
  double squares = 0;
  for (double x : values) squares += (x - r.mean) * (x - r.mean);
  r.std_error = std::sqrt(squares / (n - 1) / n);
  return r;
}

}  // namespace engine
