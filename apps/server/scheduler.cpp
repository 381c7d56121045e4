#include "server/scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/log.hpp"
#include "engine/error.hpp"
#include "engine/runtime.hpp"

namespace engine::server {
namespace {

using Clock = std::chrono::steady_clock;

// The options, checked before the session is sized from them.
const SchedulerOptions& checked(const SchedulerOptions& o) {
  const auto require = [](bool ok, const char* what, int value) {
    if (!ok) throw Error(ErrorCode::invalid_argument, fmt::format("{}, got {}", what, value));
  };
  require(o.parallel >= 1 && o.parallel <= 1024, "--parallel must be in [1, 1024]", o.parallel);
  require(o.queue >= 0 && o.queue <= 1 << 20, "--queue must be in [0, 1048576]", o.queue);
  require(o.prefill_chunk >= 1, "--prefill-chunk must be at least 1", o.prefill_chunk);
  return o;
}

// The last update of a job that never reached a slot (shutdown or its time limit).
void finish_unstarted(const Job& job) {
  job.channel->push({.index = job.index,
                     .finish_reason = "length",
                     .prompt_tokens = static_cast<int>(job.spec.prompt.size())});
}

}  // namespace

Scheduler::Scheduler(std::shared_ptr<const Model> model, const Tokenizer& tokenizer,
                     const SchedulerOptions& options, Metrics& metrics)
    : options_(checked(options)), metrics_(metrics), session_(std::move(model), options_.parallel) {
  for (int i = 0; i < options_.parallel; ++i)
    slots_.push_back(std::make_unique<Slot>(session_, i, tokenizer));
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() {
  shutdown();
}

bool Scheduler::submit(std::span<const std::shared_ptr<Job>> jobs) {
  {
    std::lock_guard lock(mutex_);
    const int n = static_cast<int>(jobs.size());
    if (stopping_ || jobs_in_flight_ + n > options_.parallel + options_.queue) return false;
    waiting_.insert(waiting_.end(), jobs.begin(), jobs.end());
    jobs_in_flight_ += n;
  }
  wake_.notify_one();
  return true;
}

void Scheduler::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool Scheduler::has_room() const {
  std::lock_guard lock(mutex_);
  return !stopping_ && jobs_in_flight_ < options_.parallel + options_.queue;
}

SchedulerGauges Scheduler::gauges() const {
  std::lock_guard lock(mutex_);
  return {.queued = static_cast<int>(waiting_.size()), .busy = busy_, .slots = options_.parallel};
}

void Scheduler::run() {
  set_num_threads(options_.threads);
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !waiting_.empty() || busy_ > 0; });
      if (stopping_) break;
    }
    admit();
    retire(Clock::now());
    step();
  }
  // Shutting down: every job ends with its last update, so streams close properly.
  for (const auto& slot : slots_)
    if (!slot->idle()) slot->finish("length");
  std::lock_guard lock(mutex_);
  for (const auto& job : waiting_) finish_unstarted(*job);
  waiting_.clear();
  busy_ = jobs_in_flight_ = 0;
}

void Scheduler::admit() {
  const Clock::time_point now = Clock::now();
  std::lock_guard lock(mutex_);
  std::erase_if(waiting_, [&](const std::shared_ptr<Job>& job) {
    if (job->channel->cancelled()) {
      metrics_.count_cancelled();
    } else if (now >= job->spec.deadline) {
      finish_unstarted(*job);
    } else {
      return false;
    }
    --jobs_in_flight_;
    return true;
  });
  for (const auto& slot : slots_) {
    if (waiting_.empty()) break;
    if (!slot->idle()) continue;
    slot->start(std::move(waiting_.front()));
    waiting_.pop_front();
    ++busy_;
  }
}

void Scheduler::retire(Clock::time_point now) {
  int freed = 0;
  for (const auto& slot : slots_) {
    if (slot->idle()) continue;
    if (slot->job().channel->cancelled()) {
      slot->drop();
      metrics_.count_cancelled();
      ++freed;
    } else if (now >= slot->job().spec.deadline) {
      slot->finish("length");
      ++freed;
    }
  }
  if (freed == 0) return;
  std::lock_guard lock(mutex_);
  busy_ -= freed;
  jobs_in_flight_ -= freed;
}

void Scheduler::step() {
  busy_slots_.clear();
  blocks_.clear();
  int prefill_budget = options_.prefill_chunk;
  for (const auto& slot : slots_) {
    if (slot->idle()) continue;
    // Prompts past this round's budget wait for the next round; decode steps always run.
    const bool prefilling = slot->prefilling();
    if (prefilling && prefill_budget == 0) continue;
    const std::span<const int> block = slot->next_block(prefill_budget);
    if (prefilling) prefill_budget -= static_cast<int>(block.size());
    busy_slots_.push_back(slot.get());
    blocks_.push_back({.sequence = slot->sequence(), .tokens = block});
  }
  if (busy_slots_.empty()) return;
  const std::span<const float> logits = forward_all(options_.prefill_chunk - prefill_budget);
  const std::size_t vocab = session_.model().config().vocab_size;
  int freed = 0, generated = 0;
  for (std::size_t i = 0; i < busy_slots_.size(); ++i) {
    Slot& slot = *busy_slots_[i];
    const int before = slot.generated();
    if (!slot.idle()) slot.advance(logits.subspan(i * vocab, vocab));
    generated += slot.generated() - before;
    freed += slot.idle();
  }
  metrics_.add_generated(generated);
  if (freed == 0) return;
  std::lock_guard lock(mutex_);
  busy_ -= freed;
  jobs_in_flight_ -= freed;
}

std::span<const float> Scheduler::forward_all(int prefill_tokens) {
  const Clock::time_point start = Clock::now();
  std::span<const float> logits;
  try {
    logits = session_.forward_ragged(blocks_);
  } catch (const std::exception& e) {
    // Requests are checked before they are queued, so this is a bug; it ends this pass's jobs.
    app::log(LogLevel::error, "forward pass failed: {}", e.what());
    for (Slot* slot : busy_slots_) slot->finish("length");
    return {};
  }
  // The pass's time goes to prompt and decode rows in proportion to their numbers.
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::size_t rows = 0;
  for (const SequenceTokens& block : blocks_) rows += block.tokens.size();
  const double prefill_seconds = seconds * prefill_tokens / static_cast<double>(rows);
  if (prefill_tokens > 0) metrics_.add_prefill(prefill_tokens, prefill_seconds);
  if (rows > static_cast<std::size_t>(prefill_tokens))
    metrics_.add_decode_time(seconds - prefill_seconds);
  return logits;
}

}  // namespace engine::server
