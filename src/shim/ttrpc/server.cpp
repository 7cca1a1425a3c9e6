// ttrpc::Server: accept loop, one reader thread per connection, one thread per request (see ttrpc.h).
//
// Ownership and lifetimes: everything a thread touches lives in shared_ptrs (Shared for the server,
// Connection per socket), so a detached thread never reads freed memory. serve() returns only after
// every connection has ended, and a connection ends only after its in-flight handlers have written
// their responses; ~Server additionally waits until every detached thread has finished its last line.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "shim/ttrpc/frame.h"
#include "shim/ttrpc/ttrpc.h"
#include "ttrpc.pb.h"

namespace wasipool::ttrpc {

namespace {

// Requests running at once per connection. containerd keeps a handful open (Wait per task plus the
// call in progress); the cap stops one peer from turning the shim into a thread bomb.
constexpr uint32_t kMaxInFlightPerConnection = 128;

using HandlerPtr = std::shared_ptr<const RawHandler>;

struct Shared;

struct Connection {
  std::shared_ptr<Shared> shared;
  int fd = -1;
  std::mutex write_mu;  // one frame at a time on the socket
  std::mutex mu;        // guards in_flight and closed
  std::condition_variable cv;
  uint32_t in_flight = 0;
  bool closed = false;  // fd closed: shutdown() must no longer touch the number (it may be reused)
};

struct Shared {
  std::mutex mu;  // guards every field below except wake_fd (set once in the constructor)
  std::condition_variable cv;
  std::unordered_map<std::string, std::unordered_map<std::string, HandlerPtr>> registry;
  bool require_same_user = true;
  bool shutting_down = false;
  bool serving = false;
  int wake_fd = -1;  // eventfd: shutdown() wakes the accept loop's poll
  std::set<std::shared_ptr<Connection>> connections;
  size_t live_threads = 0;  // detached reader + handler threads not yet finished
};

// Stops reading on one connection: its reader sees EOF, lets in-flight requests finish, then closes.
void stop_reading(Connection& c) {
  std::lock_guard<std::mutex> lk(c.mu);
  if (!c.closed) ::shutdown(c.fd, SHUT_RD);
}

void thread_done(Shared& s) {
  std::lock_guard<std::mutex> lk(s.mu);
  --s.live_threads;
  s.cv.notify_all();
}

// Writes one Response frame. A failed write (peer gone, or not reading) ends the connection: both
// directions are shut so the reader sees the end of the stream and closes, and later writers fail fast.
void send_response(Connection& c, uint32_t stream_id, const Status& status, const std::string& payload) {
  std::string data = encode_response(status, payload);
  if (data.size() > kMaxMessageLength) {
    // The peer would discard it anyway; tell it why instead.
    data = encode_response(
        Status::Error(Code::kResourceExhausted, "response " + oversized_message(uint32_t(data.size()))), {});
  }
  FrameHeader h;
  h.stream_id = stream_id;
  h.type = uint8_t(MessageType::kResponse);
  int err;
  {
    std::lock_guard<std::mutex> lk(c.write_mu);
    err = write_frame(c.fd, h, data);
  }
  if (err != 0) {
    std::lock_guard<std::mutex> lk(c.mu);
    if (!c.closed) ::shutdown(c.fd, SHUT_RDWR);
  }
}

bool peer_is_same_user(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  return cred.uid == geteuid() && cred.gid == getegid();
}

void run_handler(std::shared_ptr<Connection> conn, HandlerPtr handler, uint32_t stream_id,
                 std::shared_ptr<::ttrpc::Request> req) {
  {
    // Everything this call allocated is freed inside this block, before in_flight drops and the
    // connection may close: once the peer sees the close, the server holds nothing of the call.
    CallInfo call;
    call.service = req->service();
    call.method = req->method();
    call.timeout_nano = req->timeout_nano();
    for (const auto& kv : req->metadata()) call.metadata.emplace_back(kv.key(), kv.value());
    std::string out;
    Status st;
    try {
      st = (*handler)(call, req->payload(), &out);
    } catch (const std::exception& e) {
      // A throwing handler is our bug, but it must cost one call, not the shim.
      st = Status::Error(Code::kInternal, call.service + "/" + call.method + ": " + e.what());
    } catch (...) {
      st = Status::Error(Code::kInternal, call.service + "/" + call.method + ": unknown exception");
    }
    req.reset();
    if (!st.ok()) out.clear();
    send_response(*conn, stream_id, st, out);
  }
  {
    std::lock_guard<std::mutex> lk(conn->mu);
    --conn->in_flight;
    conn->cv.notify_all();
  }
  std::shared_ptr<Shared> shared = conn->shared;
  conn.reset();
  thread_done(*shared);
}

// Looks up a handler; the error texts are the Go server's.
Status find_handler(Shared& s, const std::string& service, const std::string& method, HandlerPtr* out) {
  std::lock_guard<std::mutex> lk(s.mu);
  auto svc = s.registry.find(service);
  if (svc == s.registry.end()) return Status::Error(Code::kUnimplemented, "service " + service);
  auto m = svc->second.find(method);
  if (m == svc->second.end()) return Status::Error(Code::kUnimplemented, "method " + method);
  *out = m->second;
  return Status::Ok();
}

bool is_shutting_down(Shared& s) {
  std::lock_guard<std::mutex> lk(s.mu);
  return s.shutting_down;
}

// Handles one frame that was read whole. Anything malformed is answered on its stream; nothing here
// closes the connection (only a broken stream does, in read_loop).
void dispatch(const std::shared_ptr<Connection>& conn, Frame& f) {
  const FrameHeader& h = f.header;
  if (h.type != uint8_t(MessageType::kRequest)) {
    // Data frames belong to ttrpc 1.2 streams, which we do not serve; responses are never sent to a
    // server. Answer so a confused peer learns why, and keep the connection.
    send_response(*conn, h.stream_id,
                  Status::Error(Code::kInvalidArgument,
                                "unexpected message type " + std::to_string(h.type) + " on stream " +
                                    std::to_string(h.stream_id) + ": only unary requests are served"),
                  {});
    return;
  }
  if (h.stream_id % 2 == 0) {
    send_response(*conn, h.stream_id,
                  Status::Error(Code::kInvalidArgument, "StreamID must be odd for client initiated streams"),
                  {});
    return;
  }
  if (h.flags & kFlagRemoteOpen) {
    // The client would follow with data frames; without stream support they would be misread.
    send_response(*conn, h.stream_id,
                  Status::Error(Code::kUnimplemented, "streaming requests are not supported (stream " +
                                                          std::to_string(h.stream_id) + ", flags " +
                                                          std::to_string(h.flags) + ")"),
                  {});
    return;
  }
  auto req = std::make_shared<::ttrpc::Request>();
  if (!req->ParseFromString(f.data)) {
    send_response(*conn, h.stream_id,
                  Status::Error(Code::kInvalidArgument,
                                "cannot decode ttrpc.Request on stream " + std::to_string(h.stream_id) +
                                    " (" + std::to_string(f.data.size()) + " bytes)"),
                  {});
    return;
  }
  HandlerPtr handler;
  Status st = find_handler(*conn->shared, req->service(), req->method(), &handler);
  if (!st.ok()) {
    send_response(*conn, h.stream_id, st, {});
    return;
  }
  {
    std::lock_guard<std::mutex> lk(conn->mu);
    if (conn->in_flight >= kMaxInFlightPerConnection) {
      st = Status::Error(Code::kResourceExhausted,
                         "too many requests in flight on this connection (limit " +
                             std::to_string(kMaxInFlightPerConnection) + ")");
    } else {
      ++conn->in_flight;
    }
  }
  if (!st.ok()) {
    send_response(*conn, h.stream_id, st, {});
    return;
  }
  {
    std::lock_guard<std::mutex> lk(conn->shared->mu);
    ++conn->shared->live_threads;
  }
  try {
    // Its own thread: a blocked handler (Task.Wait) must not stall the reader or other calls.
    std::thread(run_handler, conn, std::move(handler), h.stream_id, std::move(req)).detach();
  } catch (const std::system_error& e) {
    {
      std::lock_guard<std::mutex> lk(conn->mu);
      --conn->in_flight;
    }
    thread_done(*conn->shared);
    send_response(*conn, h.stream_id,
                  Status::Error(Code::kResourceExhausted, std::string("cannot start a handler thread: ") + e.what()),
                  {});
  }
}

void read_loop(std::shared_ptr<Connection> conn) {
  for (Frame f;;) {
    ReadStatus rs = read_frame(conn->fd, &f);
    // End of stream, or a frame cut short: nothing more can be framed on this connection.
    if (rs == ReadStatus::kEof || rs == ReadStatus::kTruncated) break;
    if (is_shutting_down(*conn->shared)) break;  // requests still queued after shutdown() are dropped
    if (rs == ReadStatus::kOversized) {
      send_response(*conn, f.header.stream_id,
                    Status::Error(Code::kResourceExhausted, oversized_message(f.header.length)), {});
      continue;
    }
    dispatch(conn, f);
  }
  {
    // In-flight responses go out before the close; the fd number is released only under mu.
    std::unique_lock<std::mutex> lk(conn->mu);
    conn->cv.wait(lk, [&] { return conn->in_flight == 0; });
    conn->closed = true;
    ::close(conn->fd);
  }
  std::shared_ptr<Shared> shared = conn->shared;
  {
    std::lock_guard<std::mutex> lk(shared->mu);
    shared->connections.erase(conn);
  }
  conn.reset();
  thread_done(*shared);
}

}  // namespace

struct Server::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
};

Server::Server() : impl_(std::make_unique<Impl>()) {
  impl_->shared->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

Server::~Server() {
  shutdown();
  Shared& s = *impl_->shared;
  std::unique_lock<std::mutex> lk(s.mu);
  // serve() may still be returning on another thread, and detached threads may be on their last
  // lines: they hold handlers that may reference objects owned by whoever destroys us.
  s.cv.wait(lk, [&] { return !s.serving && s.live_threads == 0; });
  if (s.wake_fd >= 0) ::close(s.wake_fd);
  s.wake_fd = -1;
}

void Server::register_method(const std::string& service, const std::string& method, RawHandler handler) {
  Shared& s = *impl_->shared;
  std::lock_guard<std::mutex> lk(s.mu);
  s.registry[service][method] = std::make_shared<const RawHandler>(std::move(handler));
}

void Server::set_require_same_user(bool on) {
  Shared& s = *impl_->shared;
  std::lock_guard<std::mutex> lk(s.mu);
  s.require_same_user = on;
}

int Server::serve(int listen_fd) {
  std::shared_ptr<Shared> sp = impl_->shared;
  Shared& s = *sp;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    if (s.serving) return EBUSY;
    s.serving = true;
  }
  // A descriptor that is not a listening socket would leave poll() waiting forever (or spinning on
  // accept errors): refuse it up front.
  int accepting = 0;
  socklen_t alen = sizeof accepting;
  int bad = 0;
  if (listen_fd < 0) {
    bad = EBADF;
  } else if (::getsockopt(listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen) != 0) {
    bad = errno;
  } else if (!accepting) {
    bad = EINVAL;
  } else if (s.wake_fd < 0) {
    bad = EMFILE;
  }
  if (bad != 0) {
    if (listen_fd >= 0) ::close(listen_fd);
    std::lock_guard<std::mutex> lk(s.mu);
    s.serving = false;
    s.cv.notify_all();
    return bad;
  }
  // Non-blocking accept: a client that vanishes between poll and accept must not park the loop.
  int fl = fcntl(listen_fd, F_GETFL);
  if (fl >= 0) fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
  int result = 0;
  for (;;) {
    bool require_same_user;
    {
      std::lock_guard<std::mutex> lk(s.mu);
      if (s.shutting_down) break;
      require_same_user = s.require_same_user;
    }
    pollfd pf[2] = {{listen_fd, POLLIN, 0}, {s.wake_fd, POLLIN, 0}};
    int n = ::poll(pf, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = errno;
      break;
    }
    if (pf[1].revents) continue;  // shutdown(): re-check the flag
    if (pf[0].revents & (POLLNVAL | POLLERR)) {
      result = EBADF;
      break;
    }
    if (!(pf[0].revents & (POLLIN | POLLHUP))) continue;
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if (e == EINTR || e == EAGAIN || e == EWOULDBLOCK || e == ECONNABORTED || e == EPROTO) continue;
      if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        // Out of descriptors or memory: back off instead of spinning; existing connections go on.
        pollfd w = {s.wake_fd, POLLIN, 0};
        ::poll(&w, 1, 50);
        continue;
      }
      result = e;
      break;
    }
    // Same-user check (the Go shim's UnixSocketRequireSameUser): the shim socket grants control of
    // containers, so a local user other than containerd's must not drive it even if file modes slip.
    if (require_same_user && !peer_is_same_user(fd)) {
      ::close(fd);
      continue;
    }
    set_send_timeout(fd);
    auto conn = std::make_shared<Connection>();
    conn->shared = sp;
    conn->fd = fd;
    {
      std::lock_guard<std::mutex> lk(s.mu);
      if (s.shutting_down) {
        ::close(fd);
        break;
      }
      s.connections.insert(conn);
      ++s.live_threads;
    }
    try {
      std::thread(read_loop, conn).detach();
    } catch (const std::system_error&) {
      std::lock_guard<std::mutex> lk(s.mu);
      s.connections.erase(conn);
      --s.live_threads;
      ::close(fd);
    }
  }
  ::close(listen_fd);
  // Whatever ended the loop, the connections end too, after their in-flight responses.
  std::set<std::shared_ptr<Connection>> conns;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    s.shutting_down = true;
    conns = s.connections;
  }
  for (const auto& c : conns) stop_reading(*c);
  conns.clear();
  std::unique_lock<std::mutex> lk(s.mu);
  s.cv.wait(lk, [&] { return s.connections.empty(); });
  s.serving = false;
  s.cv.notify_all();
  return result;
}

void Server::shutdown() {
  Shared& s = *impl_->shared;
  std::set<std::shared_ptr<Connection>> conns;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    s.shutting_down = true;
    conns = s.connections;
    if (s.wake_fd >= 0) {
      uint64_t one = 1;
      ssize_t r = ::write(s.wake_fd, &one, sizeof one);
      (void)r;
    }
  }
  for (const auto& c : conns) stop_reading(*c);
}

}  // namespace wasipool::ttrpc
