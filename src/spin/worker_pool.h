// Guest execution threads and the deadline watchdog for the app hosts.
//
// WorkerPool: a fixed set of threads pulling jobs from one queue, so a slow or looping guest occupies
// one worker, never an I/O thread: other connections keep being accepted and answered.
// Watchdog: one thread that interrupts a store when its request's deadline passes; the guest then traps
// "interrupted" at its next call or loop back-edge, and its worker is free again.
// Both are thread-safe; destruction joins their threads (queued jobs still run).
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "wasipool/engine.h"

namespace wasipool::spin {

class WorkerPool {
 public:
  // `max_queued` bounds the jobs waiting for a worker: requests keep arriving while every worker is
  // busy (e.g. with looping guests), and each queued job holds a whole request body.
  WorkerPool(unsigned threads, size_t max_queued);
  ~WorkerPool();
  // False (the job is dropped) when the queue is full.
  bool submit(std::function<void()> job);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  size_t max_queued_;
  bool done_ = false;
  std::vector<std::thread> threads_;
};

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;
  Watchdog();
  ~Watchdog();
  // Interrupts `handle` at `deadline` unless disarm(id) comes first.
  uint64_t arm(engine::InterruptHandle handle, Clock::time_point deadline);
  // True when the deadline had already fired (the guest was interrupted by us).
  bool disarm(uint64_t id);

 private:
  struct Entry {
    engine::InterruptHandle handle;
    Clock::time_point deadline;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Entry> armed_;
  std::map<uint64_t, bool> fired_;
  uint64_t next_id_ = 1;
  Clock::time_point waiting_until_ = Clock::time_point::max();  // what the thread sleeps until
  bool done_ = false;
  std::thread thread_;
};

}  // namespace wasipool::spin
