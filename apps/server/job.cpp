#include "server/job.hpp"

namespace engine::server {

void ResponseChannel::push(JobUpdate update) {
  {
    std::lock_guard lock(mutex_);
    if (update.finish_reason) --open_jobs_;
    updates_.push_back(std::move(update));
  }
  ready_.notify_one();
}

std::vector<JobUpdate> ResponseChannel::take(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !updates_.empty(); });
  return std::exchange(updates_, {});
}

bool ResponseChannel::all_finished() const {
  std::lock_guard lock(mutex_);
  return open_jobs_ == 0 && updates_.empty();
}

}  // namespace engine::server
