// A generation the scheduler runs for an HTTP request, and the channel its results flow back
// through: the scheduler thread pushes updates, the request's HTTP thread takes them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/generation/sampler.hpp"

namespace engine::server {

/// A generated token with its log-probability and the most likely alternatives (when asked).
struct TokenLogprob {
  std::string piece;  ///< the token's bytes in the text
  float logprob = 0;
  std::vector<std::pair<std::string, float>> top;  ///< most likely first
};

/// What one job produced since its last update.
struct JobUpdate {
  int index = 0;                         ///< the choice (prompt) it belongs to
  std::string text{};                    ///< new final text
  std::vector<TokenLogprob> logprobs{};  ///< the tokens behind it, when logprobs were asked for
  /// Set on a job's last update: "stop" (EOS or a stop string) or "length" (max_tokens, the
  /// context, the time limit or the server shutting down).
  std::optional<std::string> finish_reason{};
  int prompt_tokens = 0;      ///< in the last update
  int completion_tokens = 0;  ///< in the last update
};

/// Updates from the jobs of one HTTP request, and the request's cancellation flag.
class ResponseChannel {
 public:
  explicit ResponseChannel(int jobs) : open_jobs_(jobs) {}

  /// Scheduler side: queues an update and wakes the reader.
  void push(JobUpdate update);
  /// Reader side: waits until there are updates or `timeout` passes, and takes them all.
  std::vector<JobUpdate> take(std::chrono::milliseconds timeout);
  /// Whether every job has pushed its last update.
  bool all_finished() const;

  /// The client is gone: the scheduler drops the jobs at its next step.
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<JobUpdate> updates_;
  int open_jobs_;
  std::atomic<bool> cancelled_ = false;
};

/// What to generate: the prompt's tokens and the request's limits and sampling.
struct JobSpec {
  std::vector<int> prompt{};
  int max_tokens = 16;
  SamplingOptions sampling{};
  std::vector<std::string> stop{};
  int top_logprobs = -1;  ///< -1: no logprobs
  std::chrono::steady_clock::time_point deadline{};
};

struct Job {
  int index = 0;
  JobSpec spec;
  std::shared_ptr<ResponseChannel> channel;
};

}  // namespace engine::server
