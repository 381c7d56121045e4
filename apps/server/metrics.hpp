// The counters behind GET /metrics, in Prometheus' text format. Every method is thread-safe:
// HTTP threads count responses, the scheduler thread counts tokens and compute time.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace engine::server {

/// Gauges read at scrape time from the scheduler.
struct SchedulerGauges {
  int queued = 0;  ///< requests waiting for a slot
  int busy = 0;    ///< slots generating
  int slots = 0;   ///< --parallel
};

class Metrics {
 public:
  void count_response(int status);
  void count_cancelled() { ++cancelled_; }
  /// `tokens` prompt tokens run in `seconds` of forward passes.
  void add_prefill(std::int64_t tokens, double seconds);
  /// `seconds` of decode forward passes (one token per sequence each).
  void add_decode_time(double seconds);
  /// `tokens` sampled (EOS not counted).
  void add_generated(std::int64_t tokens);

  /// The Prometheus exposition of every counter plus `gauges`.
  std::string prometheus(const SchedulerGauges& gauges) const;

 private:
  mutable std::mutex mutex_;
  std::map<int, std::int64_t> responses_;  // by HTTP status
  std::atomic<std::int64_t> cancelled_ = 0;
  std::int64_t prefill_tokens_ = 0;
  double prefill_seconds_ = 0;
  std::int64_t decode_tokens_ = 0;
  double decode_seconds_ = 0;
};

}  // namespace engine::server
