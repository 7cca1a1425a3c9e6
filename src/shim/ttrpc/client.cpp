// ttrpc::Client: unary calls multiplexed on one connection (see ttrpc.h).
//
// Threading: any number of threads may call(); each call takes the next odd stream id, writes its
// frame under the write mutex and sleeps until the one reader thread hands it the matching response
// (or the connection ends, or its timeout passes). The reader thread is joined by the destructor.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "shim/ttrpc/frame.h"
#include "shim/ttrpc/ttrpc.h"
#include "ttrpc.pb.h"

namespace wasipool::ttrpc {

namespace {

struct Pending {
  bool done = false;
  Status status;
  std::string payload;
};

// Fills a sockaddr_un from a containerd-style address. Returns the address length or 0 + error.
socklen_t make_address(const std::string& address, sockaddr_un* sa, std::string* error) {
  std::string a = address;
  bool abstract = false;
  if (a.rfind("unix://", 0) == 0) {
    a = a.substr(7);
  } else if (!a.empty() && a[0] == '@') {
    a = a.substr(1);
    abstract = true;
  } else if (a.find('/') == std::string::npos) {
    abstract = true;  // a bare name, as containerd's dialer treats it
  }
  if (a.empty()) {
    *error = "empty socket address \"" + address + "\"";
    return 0;
  }
  std::memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  size_t room = sizeof sa->sun_path - 1;  // abstract: leading NUL; path: trailing NUL
  if (a.size() > room) {
    *error = "socket address too long (" + std::to_string(a.size()) + " bytes, max " +
             std::to_string(room) + "): " + address;
    return 0;
  }
  if (abstract) {
    std::memcpy(sa->sun_path + 1, a.data(), a.size());
    return socklen_t(offsetof(sockaddr_un, sun_path) + 1 + a.size());
  }
  std::memcpy(sa->sun_path, a.data(), a.size());
  return socklen_t(offsetof(sockaddr_un, sun_path) + a.size() + 1);
}

}  // namespace

struct Client::Impl {
  int fd = -1;
  std::mutex write_mu;
  std::mutex mu;  // guards everything below
  std::condition_variable cv;
  std::unordered_map<uint32_t, Pending*> pending;  // each Pending lives on its caller's stack
  uint32_t next_id = 1;
  bool closed = false;
  std::string close_reason = "connection closed";
  std::thread reader;

  // Here rather than in ~Client so a move-assignment that drops an old Impl also joins its reader.
  ~Impl() {
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    if (reader.joinable()) reader.join();
    if (fd >= 0) ::close(fd);
  }

  void finish(uint32_t id, Status st, std::string payload) {
    std::lock_guard<std::mutex> lk(mu);
    auto it = pending.find(id);
    if (it == pending.end()) return;  // timed out already, or a stream we never opened
    it->second->done = true;
    it->second->status = std::move(st);
    it->second->payload = std::move(payload);
    pending.erase(it);
    cv.notify_all();
  }

  void read_loop() {
    Frame f;
    for (;;) {
      ReadStatus rs = read_frame(fd, &f);
      if (rs == ReadStatus::kEof || rs == ReadStatus::kTruncated) break;
      if (rs == ReadStatus::kOversized) {
        finish(f.header.stream_id,
               Status::Error(Code::kResourceExhausted, "response " + oversized_message(f.header.length)), {});
        continue;
      }
      if (f.header.type != uint8_t(MessageType::kResponse)) continue;  // servers start no streams
      ::ttrpc::Response resp;
      if (!resp.ParseFromString(f.data)) {
        finish(f.header.stream_id,
               Status::Error(Code::kInternal, "cannot decode ttrpc.Response on stream " +
                                                  std::to_string(f.header.stream_id)),
               {});
        continue;
      }
      if (resp.has_status() && resp.status().code() != 0) {
        finish(f.header.stream_id,
               Status::Error(Code(resp.status().code()), resp.status().message()), {});
      } else {
        finish(f.header.stream_id, Status::Ok(), std::move(*resp.mutable_payload()));
      }
    }
    std::lock_guard<std::mutex> lk(mu);
    closed = true;
    for (auto& [id, p] : pending) {
      p->done = true;
      p->status = Status::Error(Code::kUnavailable, "ttrpc: " + close_reason);
    }
    pending.clear();
    cv.notify_all();
  }
};

Client::Client() : impl_(std::make_unique<Impl>()) {}

Client::~Client() = default;

Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

std::unique_ptr<Client> Client::connect(const std::string& address, std::string* error) {
  std::string err;
  sockaddr_un sa;
  socklen_t len = make_address(address, &sa, &err);
  if (len == 0) {
    if (error) *error = err;
    return nullptr;
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (error) *error = std::string("socket: ") + std::strerror(errno);
    return nullptr;
  }
  int r;
  do {
    r = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), len);
  } while (r < 0 && errno == EINTR);
  if (r < 0 && errno != EISCONN) {
    if (error) *error = "connect " + address + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  set_send_timeout(fd);  // a server that stops reading costs the caller UNAVAILABLE, not a hang
  std::unique_ptr<Client> c(new Client());
  c->impl_->fd = fd;
  Impl* impl = c->impl_.get();
  try {
    impl->reader = std::thread([impl] { impl->read_loop(); });
  } catch (const std::system_error& e) {
    if (error) *error = std::string("cannot start the reader thread: ") + e.what();
    return nullptr;  // ~Client closes fd
  }
  return c;
}

Status Client::call(const std::string& service, const std::string& method, const std::string& request,
                    std::string* response, int64_t timeout_nano, const Metadata& metadata) {
  Impl& im = *impl_;
  ::ttrpc::Request req;
  req.set_service(service);
  req.set_method(method);
  req.set_payload(request);
  if (timeout_nano > 0) req.set_timeout_nano(timeout_nano);  // the server may bound its work too
  for (const auto& [k, v] : metadata) {
    auto* kv = req.add_metadata();
    kv->set_key(k);
    kv->set_value(v);
  }
  std::string data;
  req.SerializeToString(&data);
  if (data.size() > kMaxMessageLength)
    return Status::Error(Code::kResourceExhausted, oversized_message(uint32_t(data.size())));

  Pending p;
  uint32_t id;
  {
    std::lock_guard<std::mutex> lk(im.mu);
    if (im.closed) return Status::Error(Code::kUnavailable, "ttrpc: " + im.close_reason);
    id = im.next_id;
    // Odd ids only (client-initiated); wrap before overflow rather than ever sending an even id.
    im.next_id = im.next_id >= 0xFFFFFFFDu ? 1 : im.next_id + 2;
    im.pending[id] = &p;
  }
  FrameHeader h;
  h.stream_id = id;
  h.type = uint8_t(MessageType::kRequest);
  int werr;
  {
    std::lock_guard<std::mutex> lk(im.write_mu);
    werr = write_frame(im.fd, h, data);
  }
  std::unique_lock<std::mutex> lk(im.mu);
  if (werr != 0) {
    // The frame may be half written: nothing more can be framed on this connection. Shutting it down
    // ends the reader, which fails every pending call; later calls see `closed`.
    if (!im.closed) im.close_reason = std::string("write: ") + std::strerror(werr);
    ::shutdown(im.fd, SHUT_RDWR);
    if (!p.done) {
      im.pending.erase(id);
      return Status::Error(Code::kUnavailable, "ttrpc: " + im.close_reason);
    }
  }
  auto ready = [&] { return p.done; };
  // Beyond ~30 years a deadline is no deadline (and steady_clock::now() + it could overflow).
  constexpr int64_t kNoDeadlineBeyond = int64_t(1) << 60;
  if (timeout_nano > 0 && timeout_nano < kNoDeadlineBeyond) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_nano);
    if (!im.cv.wait_until(lk, deadline, ready)) {
      im.pending.erase(id);  // a late answer is dropped by finish()
      return Status::Error(Code::kDeadlineExceeded, "ttrpc: " + service + "/" + method +
                                                        ": deadline exceeded after " +
                                                        std::to_string(timeout_nano / 1000000) + " ms");
    }
  } else {
    im.cv.wait(lk, ready);
  }
  if (p.status.ok() && response) *response = std::move(p.payload);
  return p.status;
}

}  // namespace wasipool::ttrpc
