// The sampling flags `engine generate` and `engine chat` share.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <random>

#include "engine/generation/sampler.hpp"

namespace engine::cli {

/// Adds --temperature, --top-k, --top-p and --seed.
inline void add_sampling_options(CLI::App& cmd, SamplingOptions& sampling,
                                 std::optional<std::uint64_t>& seed) {
  cmd.add_option("--temperature", sampling.temperature, "0 = greedy")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--top-k", sampling.top_k, "keep the k most likely (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--top-p", sampling.top_p, "nucleus mass in (0, 1]")
      ->check(CLI::Range(0.0f, 1.0f))
      ->capture_default_str();
  cmd.add_option("--seed", seed, "random seed (default: random, logged)");
}

/// `sampling` with the --seed given, else a random one; validated (throws engine::Error).
inline SamplingOptions seeded(SamplingOptions sampling, const std::optional<std::uint64_t>& seed) {
  sampling.seed = seed ? *seed : std::random_device{}();
  validate(sampling);
  return sampling;
}

}  // namespace engine::cli
