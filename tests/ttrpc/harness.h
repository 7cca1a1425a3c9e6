// Test harness for the ttrpc layer: a Server serving on a real Unix socket in a private temp dir on its
// own thread, raw-socket helpers that write hand-made frames and read the answers, and a Gate that
// lets a test hold a handler blocked (like Task.Wait) until it says so.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "shim/ttrpc/frame.h"
#include "shim/ttrpc/ttrpc.h"
#include "ttrpc.pb.h"

namespace wasipool::ttrpc::test {

// A one-shot gate: wait() blocks until open(). entered() counts the waiters that arrived.
class Gate {
 public:
  void open() {
    std::lock_guard<std::mutex> lk(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lk(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lk, [&] { return open_; });
  }
  // Blocks until n waiters have arrived (no timeout: ctest's timeout ends a hung test).
  void wait_entered(int n) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return entered_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int entered_ = 0;
};

inline int listen_unix(const std::string& path, std::string* bound = nullptr) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  socklen_t len;
  if (!path.empty() && path[0] == '@') {
    std::memcpy(sa.sun_path + 1, path.data() + 1, path.size() - 1);
    len = socklen_t(offsetof(sockaddr_un, sun_path) + path.size());
  } else {
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    len = sizeof sa;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 || ::listen(fd, 64) != 0) {
    ADD_FAILURE() << "bind/listen " << path << ": " << std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (bound) *bound = path;
  return fd;
}

inline int connect_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

// A Server on <tmpdir>/ttrpc.sock with an Echo method; tests register more before start().
class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ttrpc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ttrpc.sock";
    server_.register_method("test.Svc", "Echo",
                            [](const CallInfo&, const std::string& in, std::string* out) {
                              *out = in;
                              return Status::Ok();
                            });
    // "Wait" blocks like Task.Wait until the test opens gate_, then answers "waited".
    server_.register_method("test.Svc", "Wait",
                            [this](const CallInfo& call, const std::string&, std::string* out) {
                              {
                                std::lock_guard<std::mutex> lk(seen_mu_);
                                wait_seen_ = call;
                              }
                              gate_.wait();
                              *out = "waited";
                              return Status::Ok();
                            });
  }
  void TearDown() override {
    gate_.open();  // a failed assertion must not leave a handler blocked forever
    stop();
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  void start() {
    int lfd = listen_unix(path_);
    ASSERT_GE(lfd, 0);
    serve_thread_ = std::thread([this, lfd] {
      serve_result_ = server_.serve(lfd);
      serve_returned_ = true;
    });
  }
  void stop() {
    server_.shutdown();
    if (serve_thread_.joinable()) serve_thread_.join();
  }
  std::unique_ptr<Client> client() {
    std::string err;
    auto c = Client::connect(path_, &err);
    EXPECT_TRUE(c) << err;
    return c;
  }

  CallInfo wait_seen() {
    std::lock_guard<std::mutex> lk(seen_mu_);
    return wait_seen_;
  }

  std::string dir_, path_;
  Gate gate_;
  std::mutex seen_mu_;
  CallInfo wait_seen_;
  Server server_;
  std::thread serve_thread_;
  std::atomic<int> serve_result_{-1};
  std::atomic<bool> serve_returned_{false};
};

// Raw frame helpers over a connected fd.
inline std::string request_data(const std::string& service, const std::string& method,
                                const std::string& payload) {
  ::ttrpc::Request r;
  r.set_service(service);
  r.set_method(method);
  r.set_payload(payload);
  std::string s;
  r.SerializeToString(&s);
  return s;
}

inline void send_frame(int fd, uint32_t stream, uint8_t type, uint8_t flags, const std::string& data) {
  FrameHeader h;
  h.stream_id = stream;
  h.type = type;
  h.flags = flags;
  ASSERT_EQ(write_frame(fd, h, data), 0);
}

struct Answer {
  uint32_t stream = 0;
  Status status;
  std::string payload;
};

// Reads one Response frame; fails the test when the stream ends instead.
inline bool read_answer(int fd, Answer* a) {
  Frame f;
  ReadStatus rs = read_frame(fd, &f);
  if (rs != ReadStatus::kFrame) {
    ADD_FAILURE() << "no response frame (read status " << int(rs) << ")";
    return false;
  }
  EXPECT_EQ(f.header.type, uint8_t(MessageType::kResponse));
  ::ttrpc::Response r;
  if (!r.ParseFromString(f.data)) {
    ADD_FAILURE() << "response does not parse";
    return false;
  }
  a->stream = f.header.stream_id;
  a->status = Status{Code(r.status().code()), r.status().message()};
  a->payload = r.payload();
  return true;
}

}  // namespace wasipool::ttrpc::test
