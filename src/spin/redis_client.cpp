// RESP2 client (see redis_client.h).
#include "redis_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wasipool::spin {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxReplyBytes = 64 * 1024 * 1024;  // a reply can make the host hold this much at most
constexpr int kMaxDepth = 8;                         // nested arrays: bounds recursion on hostile replies

class Conn {
 public:
  Conn(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {}
  ~Conn() { ::close(fd_); }
  bool send_all(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!wait(POLLOUT)) return false;
        continue;
      }
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Ensures at least `n` unread bytes are buffered.
  bool need(size_t n) {
    while (buf_.size() - pos_ < n) {
      if (buf_.size() > kMaxReplyBytes) return false;
      char tmp[16384];
      ssize_t r = ::recv(fd_, tmp, sizeof tmp, 0);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!wait(POLLIN)) return false;
        continue;
      }
      if (r <= 0) return false;
      buf_.append(tmp, static_cast<size_t>(r));
    }
    return true;
  }
  bool line(std::string& out) {
    for (;;) {
      size_t eol = buf_.find("\r\n", pos_);
      if (eol != std::string::npos) {
        out = buf_.substr(pos_, eol - pos_);
        pos_ = eol + 2;
        return true;
      }
      if (!need(buf_.size() - pos_ + 1)) return false;
    }
  }
  bool bytes(size_t n, std::string& out) {
    if (!need(n + 2)) return false;
    out = buf_.substr(pos_, n);
    pos_ += n + 2;
    return true;
  }

 private:
  bool wait(short ev) {
    pollfd p{fd_, ev, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    return left > 0 && ::poll(&p, 1, static_cast<int>(left)) > 0;
  }
  int fd_;
  Clock::time_point deadline_;
  std::string buf_;
  size_t pos_ = 0;
};

bool read_reply(Conn& c, RedisReply& r, int depth) {
  std::string l;
  if (depth > kMaxDepth || !c.line(l) || l.empty()) return false;
  char type = l[0];
  std::string rest = l.substr(1);
  char* end = nullptr;
  switch (type) {
    case '+': r.kind = RedisReply::Kind::Status; r.str = rest; return true;
    case '-': r.kind = RedisReply::Kind::Error; r.str = rest; return true;
    case ':':
      r.kind = RedisReply::Kind::Int;
      r.integer = std::strtoll(rest.c_str(), &end, 10);
      return end && *end == 0;
    case '$': {
      long long n = std::strtoll(rest.c_str(), &end, 10);
      if (!end || *end) return false;
      if (n < 0) { r.kind = RedisReply::Kind::Nil; return true; }
      if (static_cast<unsigned long long>(n) > kMaxReplyBytes) return false;
      r.kind = RedisReply::Kind::Bulk;
      return c.bytes(static_cast<size_t>(n), r.str);
    }
    case '*': {
      long long n = std::strtoll(rest.c_str(), &end, 10);
      if (!end || *end) return false;
      if (n < 0) { r.kind = RedisReply::Kind::Nil; return true; }
      if (n > 1'000'000) return false;
      r.kind = RedisReply::Kind::Array;
      r.elements.resize(static_cast<size_t>(n));
      for (auto& e : r.elements)
        if (!read_reply(c, e, depth + 1)) return false;
      return true;
    }
    default: return false;
  }
}

}  // namespace

bool parse_redis_address(const std::string& address, std::string& host, uint16_t& port) {
  static const std::string kScheme = "redis://";
  if (address.compare(0, kScheme.size(), kScheme) != 0) return false;
  std::string rest = address.substr(kScheme.size());
  rest = rest.substr(0, rest.find('/'));
  if (size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  port = 6379;
  host = rest;
  if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = static_cast<uint16_t>(std::atoi(rest.c_str() + colon + 1));
  }
  return !host.empty() && port != 0;
}

Result<RedisReply, std::string> redis_command(const std::string& address, const std::vector<std::string>& args,
                                              std::chrono::milliseconds timeout) {
  std::string host;
  uint16_t port = 0;
  if (!parse_redis_address(address, host, port)) return fail("invalid redis address '" + address + "'");
  auto deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
    return fail("cannot resolve '" + host + "': " + ::gai_strerror(rc));
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = ETIMEDOUT;
      socklen_t len = sizeof err;
      if (::poll(&p, 1, static_cast<int>(timeout.count())) > 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err ? -1 : 0;
    }
    if (rc != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0) return fail("cannot connect to redis at " + host + ":" + std::to_string(port));
  Conn c(fd, deadline);
  std::string wire = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) wire += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  if (!c.send_all(wire)) return fail("cannot send to redis at " + host);
  RedisReply r;
  if (!read_reply(c, r, 0)) return fail("malformed or late reply from redis at " + host);
  return r;
}

}  // namespace wasipool::spin
