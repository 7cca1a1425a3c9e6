// WorkerPool and Watchdog (see worker_pool.h).
#include "worker_pool.h"

namespace wasipool::spin {

WorkerPool::WorkerPool(unsigned threads, size_t max_queued) : max_queued_(max_queued) {
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] {
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lock(mu_);
          cv_.wait(lock, [this] { return done_ || !jobs_.empty(); });
          if (jobs_.empty()) return;
          job = std::move(jobs_.front());
          jobs_.pop_front();
        }
        job();
      }
    });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool WorkerPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

Watchdog::Watchdog() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!done_) {
      auto now = Clock::now();
      auto next = Clock::time_point::max();
      for (auto it = armed_.begin(); it != armed_.end();) {
        if (it->second.deadline <= now) {
          it->second.handle.interrupt();
          fired_[it->first] = true;
          it = armed_.erase(it);
        } else {
          next = std::min(next, it->second.deadline);
          ++it;
        }
      }
      waiting_until_ = next;
      if (next == Clock::time_point::max())
        cv_.wait(lock);
      else
        cv_.wait_until(lock, next);
    }
  });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

// Wakes the thread only when the new deadline is earlier than the one it sleeps until. With one
// request timeout for all, that is only the first request after an idle spell: waking a thread twice
// per request was the largest single cost of a hello request.
uint64_t Watchdog::arm(engine::InterruptHandle handle, Clock::time_point deadline) {
  uint64_t id;
  bool wake;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    armed_.emplace(id, Entry{std::move(handle), deadline});
    wake = deadline < waiting_until_;
    if (wake) waiting_until_ = deadline;
  }
  if (wake) cv_.notify_one();
  return id;
}

// No wake-up: the thread finds the entry gone at its next deadline and sleeps on.
bool Watchdog::disarm(uint64_t id) {
  std::lock_guard lock(mu_);
  armed_.erase(id);
  auto it = fired_.find(id);
  if (it == fired_.end()) return false;
  fired_.erase(it);
  return true;
}

}  // namespace wasipool::spin
