// Publishes task events to containerd: ttrpc call containerd.services.events.ttrpc.v1.Events/Forward on
// containerd's ttrpc socket ($TTRPC_ADDRESS), metadata containerd-namespace-ttrpc=<ns>, bare type URLs
// ("containerd.events.TaskExit"), ~5 s timeout per call (containerd-shim-v2.md §4).
//
// Ownership: the daemon owns one Publisher. Threading: publish() may be called from any thread (RPC
// handlers, the reaper thread) and never blocks on the network: it appends to a bounded FIFO queue that
// one sender thread drains in order, so events leave in the order they were published.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <google/protobuf/message_lite.h>

namespace wasipool::shim {

class Publisher {
 public:
  // ttrpc_address "" disables publishing (events are dropped with a debug line).
  Publisher(std::string ns, std::string ttrpc_address, bool debug);
  ~Publisher();  // flush() then stop the sender thread
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Queues `event` under `topic` ("/tasks/exit"). Drops the oldest event (with a log line) when the queue
  // is full: a stuck containerd must not grow the shim without bound.
  void publish(const std::string& topic, const google::protobuf::MessageLite& event);

  // Waits until the queue is empty or `timeout_ms` passed (used before the daemon exits).
  void flush(int timeout_ms);

  static constexpr size_t kMaxQueued = 2048;  // as the Go shim library
  static constexpr int kAttempts = 5;         // per event, reconnecting between attempts

 private:
  struct Item {
    std::string topic;
    std::string type_url;
    std::string value;
    int64_t sec = 0;
    int32_t nsec = 0;
  };
  void run();
  bool send(const Item& item);

  std::string ns_, ttrpc_address_;
  bool debug_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool sending_ = false;
  bool stop_ = false;
  struct Conn;
  std::unique_ptr<Conn> conn_;  // sender thread only
  std::thread thread_;
};

}  // namespace wasipool::shim
