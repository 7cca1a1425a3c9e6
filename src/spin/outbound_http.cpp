// Outbound HTTP client (see outbound_http.h). The response is untrusted input like any request: its
// size is capped and its framing (Content-Length or chunked or close-delimited) parsed defensively.
#include "outbound_http.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace wasipool::spin {

namespace {

using Clock = std::chrono::steady_clock;

struct Socket {
  int fd = -1;
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
};

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc < 0 && errno == EINTR) continue;
    return rc > 0;
  }
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Decodes a chunked body; false when it is malformed or incomplete.
bool dechunk(const std::string& in, std::string& out) {
  size_t pos = 0;
  for (;;) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos) return false;
    char* end = nullptr;
    unsigned long long len = std::strtoull(in.c_str() + pos, &end, 16);
    if (end == in.c_str() + pos) return false;
    pos = eol + 2;
    if (len == 0) return true;
    if (len > in.size() - pos) return false;
    out.append(in, pos, len);
    pos += len + 2;
  }
}

}  // namespace

Result<http::Response, std::string> send_outbound(const OutboundRequest& req, std::chrono::milliseconds timeout,
                                                  size_t max_response_bytes) {
  auto deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(req.port);
  if (int rc = ::getaddrinfo(req.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return fail("cannot resolve '" + req.host + "': " + ::gai_strerror(rc));
  Socket s;
  std::string last = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS && wait_for(fd, POLLOUT, deadline)) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err ? -1 : 0;
      errno = err ? err : ETIMEDOUT;
    }
    if (rc == 0) {
      s.fd = fd;
      break;
    }
    last = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (s.fd < 0) return fail("cannot connect to " + req.host + ":" + port + ": " + last);

  std::string wire = req.method + " " + req.target + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [k, v] : req.headers) {
    std::string lk = lower(k);
    // The client frames the message itself; guest framing headers would desynchronise it.
    if (lk == "content-length" || lk == "transfer-encoding" || lk == "connection") continue;
    if (k.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) continue;
    has_host |= lk == "host";
    wire += k + ": " + v + "\r\n";
  }
  if (!has_host) wire += "Host: " + req.host + (req.port == 80 ? "" : ":" + port) + "\r\n";
  wire += "Content-Length: " + std::to_string(req.body.size()) + "\r\nConnection: close\r\n\r\n";
  wire += req.body;
  size_t off = 0;
  while (off < wire.size()) {
    ssize_t n = ::send(s.fd, wire.data() + off, wire.size() - off, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(s.fd, POLLOUT, deadline)) return fail("timed out sending to " + req.host);
      continue;
    }
    if (n <= 0) return fail(std::string("send failed: ") + std::strerror(errno));
    off += static_cast<size_t>(n);
  }

  std::string in;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(s.fd, POLLIN, deadline)) return fail("timed out waiting for " + req.host);
      continue;
    }
    if (n < 0) return fail(std::string("receive failed: ") + std::strerror(errno));
    if (n == 0) break;
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > max_response_bytes) return fail("response larger than " + std::to_string(max_response_bytes) + " bytes");
  }
  size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos || in.compare(0, 5, "HTTP/") != 0) return fail("malformed response");
  http::Response r;
  size_t sp = in.find(' ');
  r.status = static_cast<uint16_t>(std::atoi(in.c_str() + sp + 1));
  if (r.status < 100 || r.status > 999) return fail("malformed status line");
  bool chunked = false;
  long long content_length = -1;
  size_t pos = in.find("\r\n") + 2;
  while (pos < head_end) {
    size_t eol = in.find("\r\n", pos);
    std::string line = in.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    while (!value.empty() && (value[0] == ' ' || value[0] == '\t')) value.erase(0, 1);
    std::string ln = lower(name);
    if (ln == "transfer-encoding" && lower(value).find("chunked") != std::string::npos) chunked = true;
    if (ln == "content-length") content_length = std::atoll(value.c_str());
    if (ln == "transfer-encoding" || ln == "connection" || ln == "keep-alive") continue;
    r.headers.push_back({ln, value});
  }
  std::string body = in.substr(head_end + 4);
  if (chunked) {
    if (!dechunk(body, r.body)) return fail("malformed chunked body");
  } else if (content_length >= 0) {
    if (static_cast<size_t>(content_length) > body.size()) return fail("response body shorter than Content-Length");
    r.body = body.substr(0, static_cast<size_t>(content_length));
  } else {
    r.body = std::move(body);
  }
  return r;
}

std::optional<OutboundUrl> parse_outbound_url(const std::string& uri) {
  size_t sep = uri.find("://");
  if (sep == std::string::npos) return std::nullopt;
  OutboundUrl u;
  u.scheme = uri.substr(0, sep);
  std::string rest = uri.substr(sep + 3);
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  u.host = authority;
  u.port = u.scheme == "https" ? 443 : 80;
  if (size_t colon = authority.rfind(':'); colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = static_cast<uint16_t>(std::atoi(authority.c_str() + colon + 1));
  }
  if (u.host.empty() || (u.scheme != "http" && u.scheme != "https")) return std::nullopt;
  size_t path_at = rest.find_first_of("/?");
  u.target = path_at == std::string::npos ? "/" : rest.substr(path_at);
  if (!u.target.empty() && u.target[0] == '?') u.target = "/" + u.target;
  if (size_t hash = u.target.find('#'); hash != std::string::npos) u.target.resize(hash);
  return u;
}

}  // namespace wasipool::spin
