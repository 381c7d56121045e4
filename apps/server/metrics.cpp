#include "server/metrics.hpp"

#include <fmt/format.h>

namespace engine::server {
namespace {

void metric(std::string& out, const char* name, const char* type, const char* help,
            const std::string& samples) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{}", name, help, name, type, samples);
}

std::string sample(const char* name, double value) {
  return fmt::format("{} {}\n", name, value);
}

double rate(std::int64_t tokens, double seconds) {
  return seconds > 0 ? tokens / seconds : 0.0;
}

}  // namespace

void Metrics::count_response(int status) {
  std::lock_guard lock(mutex_);
  ++responses_[status];
}

void Metrics::add_prefill(std::int64_t tokens, double seconds) {
  std::lock_guard lock(mutex_);
  prefill_tokens_ += tokens;
  prefill_seconds_ += seconds;
}

void Metrics::add_decode_time(double seconds) {
  std::lock_guard lock(mutex_);
  decode_seconds_ += seconds;
}

void Metrics::add_generated(std::int64_t tokens) {
  std::lock_guard lock(mutex_);
  decode_tokens_ += tokens;
}

std::string Metrics::prometheus(const SchedulerGauges& gauges) const {
  std::lock_guard lock(mutex_);
  std::string out, by_status;
  for (const auto& [status, count] : responses_)
    by_status += fmt::format("engine_requests_total{{status=\"{}\"}} {}\n", status, count);
  metric(out, "engine_requests_total", "counter", "HTTP responses by status code.", by_status);
  metric(out, "engine_requests_cancelled_total", "counter",
         "Generations dropped because their client disconnected.",
         sample("engine_requests_cancelled_total", cancelled_.load()));
  metric(out, "engine_prompt_tokens_total", "counter", "Prompt tokens prefilled.",
         sample("engine_prompt_tokens_total", prefill_tokens_));
  metric(out, "engine_generated_tokens_total", "counter", "Tokens generated.",
         sample("engine_generated_tokens_total", decode_tokens_));
  metric(out, "engine_prefill_seconds_total", "counter", "Time spent in prompt forward passes.",
         sample("engine_prefill_seconds_total", prefill_seconds_));
  metric(out, "engine_decode_seconds_total", "counter", "Time spent in decode forward passes.",
         sample("engine_decode_seconds_total", decode_seconds_));
  metric(out, "engine_prefill_tokens_per_second", "gauge",
         "Prompt tokens per second of prefill compute, since start.",
         sample("engine_prefill_tokens_per_second", rate(prefill_tokens_, prefill_seconds_)));
  metric(out, "engine_decode_tokens_per_second", "gauge",
         "Generated tokens per second of decode compute, since start.",
         sample("engine_decode_tokens_per_second", rate(decode_tokens_, decode_seconds_)));
  metric(out, "engine_queue_length", "gauge", "Requests waiting for a slot.",
         sample("engine_queue_length", gauges.queued));
  metric(out, "engine_busy_slots", "gauge", "Slots generating.",
         sample("engine_busy_slots", gauges.busy));
  metric(out, "engine_slots", "gauge", "Slots (--parallel).", sample("engine_slots", gauges.slots));
  return out;
}

}  // namespace engine::server
