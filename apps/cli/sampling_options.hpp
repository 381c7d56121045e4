// The sampling flags `engine generate` and `engine chat` share, and the seed they resolve to.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "cli/option_checks.hpp"
#include "engine/generation/sampler.hpp"

namespace engine::cli {

/// Adds --temperature (--temp), --top-k, --top-p, --min-p, the penalties (--repeat-penalty,
/// --repeat-last-n, --presence-penalty, --frequency-penalty) and --seed (text: "-1" means a
/// random seed). They apply in llama.cpp's order: penalties, top-k, top-p, min-p, temperature.
inline void add_sampling_options(CLI::App& cmd, SamplingOptions& sampling, std::string& seed) {
  cmd.add_option("--temperature,--temp", sampling.temperature, "0 = greedy")
      ->check(number_at_least(0))
      ->capture_default_str();
  cmd.add_option("--top-k", sampling.top_k, "keep the k most likely (0 = all)")
      ->check(whole_number_at_least(0))
      ->capture_default_str();
  cmd.add_option("--top-p", sampling.top_p, "nucleus mass, more than 0, at most 1")
      ->check(fraction_above_zero())
      ->capture_default_str();
  cmd.add_option("--min-p", sampling.min_p,
                 "keep tokens at least this times as likely as the best (0 = all)")
      ->check(fraction())
      ->capture_default_str();
  cmd.add_option("--repeat-penalty", sampling.repeat_penalty,
                 "divide a recent token's logit by this (multiply when negative; 1 = off)")
      ->check(number_above_zero())
      ->capture_default_str();
  cmd.add_option("--repeat-last-n", sampling.repeat_last_n,
                 "recent tokens (prompt included) the penalties look at; 0 = none, -1 = all")
      ->check(whole_number_at_least(-1))
      ->capture_default_str();
  cmd.add_option("--presence-penalty", sampling.presence_penalty,
                 "subtract this from a recent token's logit (0 = off)")
      ->check(finite_number())
      ->capture_default_str();
  cmd.add_option("--frequency-penalty", sampling.frequency_penalty,
                 "subtract this per occurrence among the recent tokens (0 = off)")
      ->check(finite_number())
      ->capture_default_str();
  cmd.add_option("--seed", seed, "random seed; -1 = random, logged to repeat the run")
      ->capture_default_str();
}

/// `sampling` with the seed --seed gives (a random one for -1), validated. Throws engine::Error
/// for a bad seed or option.
SamplingOptions seeded(SamplingOptions sampling, const std::string& seed);

/// Logs a random seed at info level (once the run is sure to start), so it can be repeated.
void log_random_seed(const SamplingOptions& sampling, const std::string& seed);

}  // namespace engine::cli
