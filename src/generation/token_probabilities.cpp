#include "engine/generation/token_probabilities.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace engine {

TokenProbabilities token_probabilities(std::span<const float> logits, int token, int top) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (const float l : logits) sum += std::exp(static_cast<double>(l) - max);
  const double log_normaliser = max + std::log(sum);
  const auto logprob = [&](int id) { return static_cast<float>(logits[id] - log_normaliser); };

  TokenProbabilities result{token, logprob(token), {}};
  const int k = std::clamp<int>(top, 0, static_cast<int>(logits.size()));
  if (k == 0) return result;
  std::vector<int> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int a, int b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  });
  for (int i = 0; i < k; ++i) result.top.emplace_back(ids[i], logprob(ids[i]));
  return result;
}

}  // namespace engine
