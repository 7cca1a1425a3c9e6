#include "shim/events.h"

#include <time.h>

#include <chrono>

#include "events_ttrpc.pb.h"
#include "shim/daemon_log.h"
#include "shim/ttrpc/ttrpc.h"

namespace wasipool::shim {

namespace {
constexpr const char* kEventsService = "containerd.services.events.ttrpc.v1.Events";
constexpr int64_t kForwardTimeoutNs = 5'000'000'000;  // what containerd's own shims use
}  // namespace

struct Publisher::Conn {
  std::unique_ptr<ttrpc::Client> client;
};

Publisher::Publisher(std::string ns, std::string ttrpc_address, bool debug)
    : ns_(std::move(ns)), ttrpc_address_(std::move(ttrpc_address)), debug_(debug), conn_(new Conn) {
  thread_ = std::thread([this] { run(); });
}

Publisher::~Publisher() {
  flush(2000);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Publisher::publish(const std::string& topic, const google::protobuf::MessageLite& event) {
  Item item;
  item.topic = topic;
  // Bare type URL: containerd 1.6 (typeurl v1) looks the name up as is; a type.googleapis.com/ prefix
  // would make every subscriber fail with "failed to unmarshal any".
  item.type_url = event.GetTypeName();
  event.SerializeToString(&item.value);
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  item.sec = ts.tv_sec;
  item.nsec = static_cast<int32_t>(ts.tv_nsec);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      log_warn("event queue full (%zu): dropping %s", queue_.size(), queue_.front().topic.c_str());
      queue_.pop_front();
    }
    queue_.push_back(std::move(item));
  }
  cv_.notify_all();
}

void Publisher::flush(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return queue_.empty() && !sending_; });
}

void Publisher::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and nothing left
    Item item = std::move(queue_.front());
    queue_.pop_front();
    sending_ = true;
    lock.unlock();
    send(item);
    lock.lock();
    sending_ = false;
    cv_.notify_all();
  }
}

bool Publisher::send(const Item& item) {
  if (ttrpc_address_.empty()) {
    log_debug("no TTRPC_ADDRESS: event %s not forwarded", item.topic.c_str());
    return false;
  }
  containerd::services::events::ttrpc::v1::ForwardRequest req;
  auto* env = req.mutable_envelope();
  env->mutable_timestamp()->set_seconds(item.sec);
  env->mutable_timestamp()->set_nanos(item.nsec);
  env->set_namespace_(ns_);
  env->set_topic(item.topic);
  env->mutable_event()->set_type_url(item.type_url);
  env->mutable_event()->set_value(item.value);
  std::string payload, reply;
  req.SerializeToString(&payload);
  const ttrpc::Metadata md = {{"containerd-namespace-ttrpc", ns_}};
  std::string last_error;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) {
      // containerd may be restarting: back off 100, 200, 400, 800 ms before giving the event up.
      std::this_thread::sleep_for(std::chrono::milliseconds(100 << (attempt - 1)));
    }
    if (!conn_->client) {
      std::string err;
      conn_->client = ttrpc::Client::connect(ttrpc_address_, &err);
      if (!conn_->client) {
        last_error = "connect " + ttrpc_address_ + ": " + err;
        continue;
      }
    }
    ttrpc::Status st = conn_->client->call(kEventsService, "Forward", payload, &reply, kForwardTimeoutNs, md);
    if (st.ok()) {
      log_debug("event %s %s forwarded", item.topic.c_str(), item.type_url.c_str());
      return true;
    }
    last_error = st.message;
    // A broken connection (containerd restarted) or a timed-out call: dial again next time. Other errors
    // are containerd rejecting the event; retrying the same bytes would not help.
    if (st.code == ttrpc::Code::kUnavailable || st.code == ttrpc::Code::kDeadlineExceeded) {
      conn_->client.reset();
      continue;
    }
    break;
  }
  log_warn("post event %s (%s) failed: %s", item.topic.c_str(), item.type_url.c_str(), last_error.c_str());
  return false;
}

}  // namespace wasipool::shim
