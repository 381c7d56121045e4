// The completion responses whose body is still being written. Stopping waits for them after the
// scheduler has ended their jobs: the HTTP layer stops writing bodies once it stops, so a stream
// whose writer had not started yet would otherwise lose its final chunk.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace engine::server {

class ResponsesInFlight {
 public:
  /// Counts one response until the returned token (and every copy of it) is gone.
  std::shared_ptr<void> enter() {
    {
      std::lock_guard lock(mutex_);
      ++count_;
    }
    return std::shared_ptr<void>(nullptr, [this](void*) {
      {
        std::lock_guard lock(mutex_);
        --count_;
      }
      idle_.notify_all();
    });
  }

  /// Waits until no response is in flight or `limit` has passed; whether none is.
  bool wait_idle(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, limit, [&] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  int count_ = 0;
};

}  // namespace engine::server
