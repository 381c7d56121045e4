// The one thread that runs the model for the server. `parallel` slots generate side by side, each
// in its own sequence of one Session: every round is one ragged forward pass over the busy slots
// (one decode token each, plus prompt chunks of at most `prefill_chunk` tokens in all), so the
// weights are read once per round for every stream and long prompts never stall the streams
// already running; waiting jobs take free slots between rounds, and cancelled, expired or
// finished ones leave.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "engine/model/model.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"
#include "server/job.hpp"
#include "server/metrics.hpp"
#include "server/slot.hpp"

namespace engine::server {

struct SchedulerOptions {
  int parallel = 4;         ///< slots: jobs generating at once
  int queue = 64;           ///< jobs waiting for a slot, at most
  int prefill_chunk = 512;  ///< prompt tokens a round runs, across the slots
  int threads = 0;          ///< kernel threads of the scheduler thread (0: one per core)
};

class Scheduler {
 public:
  /// Allocates the session (a sequence per slot) and starts the thread. `tokenizer` must outlive
  /// it.
  Scheduler(std::shared_ptr<const Model> model, const Tokenizer& tokenizer,
            const SchedulerOptions& options, Metrics& metrics);
  /// Stops the thread (as shutdown()).
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Queues the jobs of one request, all or none: false when the server is shutting down or
  /// running and waiting jobs would be more than parallel + queue.
  bool submit(std::span<const std::shared_ptr<Job>> jobs);
  /// Ends every running and waiting job with its last update ("length") and stops the thread;
  /// later submits fail.
  void shutdown();

  /// Whether one more job would be accepted now.
  bool has_room() const;
  SchedulerGauges gauges() const;
  const SchedulerOptions& options() const { return options_; }

 private:
  void run();
  // Moves waiting jobs into idle slots; finishes expired and drops cancelled waiting ones.
  void admit();
  // Ends the running jobs whose client left or whose time is up.
  void retire(std::chrono::steady_clock::time_point now);
  // One ragged forward pass over the busy slots, then each samples from its logits.
  void step();
  // The step's forward pass: the last-token logits of each of blocks_, (blocks, vocab_size), or
  // none when it failed (then every job in it has ended).
  std::span<const float> forward_all(int prefill_tokens);

  SchedulerOptions options_;
  Metrics& metrics_;
  Session session_;                           // sequence i is slots_[i]'s
  std::vector<std::unique_ptr<Slot>> slots_;  // only the scheduler thread touches them

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> waiting_;
  int jobs_in_flight_ = 0;  // waiting + running
  int busy_ = 0;            // running
  bool stopping_ = false;

  // One step's work, reused every step.
  std::vector<Slot*> busy_slots_;       // the slots in this round's pass
  std::vector<SequenceTokens> blocks_;  // each one's tokens, in its sequence

  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace engine::server
