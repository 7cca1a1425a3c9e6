// The WAGI executor: a CGI request on a fresh instance of a WASI command. Request body on stdin, CGI
// environment and argv, stdout parsed into the response by Spin's compose_response rules.
//
// stdout (and stdin when the request has a body; else /dev/null) are memfds: the WASI context only
// knows host descriptors, and a memfd is a descriptor backed by memory. stdout is pre-sized to the cap
// and sealed against growth, so a guest that prints forever gets write errors at the cap instead of
// eating the host's memory.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "component.h"

namespace wasipool::spin {

namespace {

bool write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string percent_decode(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      o += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      o += s[i];
    }
  }
  return o;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

// argv from the template: ${SCRIPT_NAME} -> request path, ${ARGS} -> query with '&' -> ' ', then split
// on ' ' (empty pieces kept, as Spin's split does).
std::vector<std::string> make_argv(const std::string& tmpl, const http::Request& req) {
  std::string args = req.query;
  for (auto& c : args)
    if (c == '&') c = ' ';
  std::string s = tmpl;
  replace_all(s, "${SCRIPT_NAME}", req.path);
  replace_all(s, "${ARGS}", args);
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t sp = s.find(' ', start);
    out.push_back(s.substr(start, sp == std::string::npos ? std::string::npos : sp - start));
    if (sp == std::string::npos) break;
    start = sp + 1;
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// "NAME=VALUE" entries in first-set order, a later set of the same name replacing the value in place.
// Only the first `open_` entries (component environment and HTTP_* headers) can share a name with a
// later one: the CGI names set after them are distinct by construction. So a set searches that short
// prefix, not the whole list: building the environment was a sixth of a hello request's instructions.
class EnvBuilder {
 public:
  explicit EnvBuilder(size_t expect) { env_.reserve(expect); }
  void set(std::string_view name, std::string_view value) {
    for (size_t i = 0; i < open_; ++i) {
      std::string& e = env_[i];
      if (e.size() > name.size() && e[name.size()] == '=' && e.compare(0, name.size(), name) == 0) {
        e.replace(name.size() + 1, std::string::npos, value);
        return;
      }
    }
    std::string& e = env_.emplace_back();
    e.reserve(name.size() + 1 + value.size());
    e.append(name).append(1, '=').append(value);
  }
  // Entries added so far may be named again (component environment, headers).
  void keep_open() { open_ = env_.size(); }
  std::vector<std::string> take() { return std::move(env_); }

 private:
  std::vector<std::string> env_;
  size_t open_ = 0;
};

std::vector<std::string> make_env(const ComponentRuntime& c, const http::Request& req, const RouteMatch& m,
                                  const SpinRequestInfo& info) {
  EnvBuilder env(c.component->environment.size() + req.headers.size() + 32);
  for (const auto& [k, v] : c.component->environment) {
    env.set(k, v);
    env.keep_open();
  }
  std::string_view content_type;
  std::string name = "HTTP_";
  for (const auto& h : req.headers) {
    if (iequals(h.name, "content-type")) content_type = h.value;
    // Credentials and hop-by-hop headers are not handed to the guest, as in CGI and WAGI.
    if (iequals(h.name, "authorization") || iequals(h.name, "connection")) continue;
    name.resize(5);
    for (char ch : h.name) name += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    env.set(name, h.value);
    env.keep_open();
  }
  std::string_view host = req.host.empty() ? std::string_view("localhost") : std::string_view(req.host);
  std::string_view server_name = host, server_port = "80";
  if (size_t colon = host.rfind(':'); colon != std::string::npos && host.find(']', colon) == std::string::npos) {
    server_name = host.substr(0, colon);
    server_port = host.substr(colon + 1);
  }
  std::string path_info = percent_decode(m.path_info);
  char length[24];
  std::snprintf(length, sizeof length, "%zu", req.body.size());
  env.set("AUTH_TYPE", "");
  env.set("CONTENT_LENGTH", length);
  env.set("CONTENT_TYPE", content_type);
  env.set("GATEWAY_INTERFACE", "CGI/1.1");
  env.set("QUERY_STRING", req.query);
  env.set("REMOTE_ADDR", req.client_ip);
  env.set("REMOTE_HOST", req.client_ip);
  env.set("REMOTE_USER", "");
  env.set("REQUEST_METHOD", req.method);
  env.set("SCRIPT_NAME", m.script_name);
  env.set("X_RAW_PATH_INFO", m.path_info);
  env.set("PATH_INFO", path_info);
  env.set("PATH_TRANSLATED", path_info);
  env.set("SERVER_NAME", server_name);
  env.set("SERVER_PORT", server_port);
  env.set("SERVER_PROTOCOL", req.version == 10 ? "HTTP/1.0" : "HTTP/1.1");
  env.set("SERVER_SOFTWARE", "WAGI/1");
  // The Spin default headers, in their WAGI spelling, on top (as Spin does).
  env.set("X_FULL_URL", info.full_url);
  env.set("X_MATCHED_ROUTE", info.matched_route);
  env.set("X_BASE_PATH", info.base_path);
  env.set("X_RAW_COMPONENT_ROUTE", info.raw_component_route);
  env.set("X_COMPONENT_ROUTE", info.component_route);
  env.set("X_CLIENT_ADDR", info.client_addr);
  return env.take();
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

http::Response parse_wagi_output(std::string_view out) {
  // Header section: bytes up to the first "\n\n", CRs ignored; the rest is the body, untouched.
  std::string head;
  size_t body_start = out.size();
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (c == '\r') continue;
    if (c == '\n' && !head.empty() && head.back() == '\n') {
      head.pop_back();
      body_start = i + 1;
      break;
    }
    head += c;
  }
  http::Response r;
  bool sufficient = false, explicit_status = false;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case name -> value, last wins
  size_t start = 0;
  while (start <= head.size()) {
    size_t nl = head.find('\n', start);
    std::string_view line(head.data() + start, (nl == std::string::npos ? head.size() : nl) - start);
    start = nl == std::string::npos ? head.size() + 1 : nl + 1;
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // not a header line: dropped, as Spin does
    std::string name = lower(trim(line.substr(0, colon)));
    std::string value = trim(line.substr(colon + 1));
    if (name.empty()) continue;
    if (name == "status") {
      std::string code = value.substr(0, value.find(' '));
      char* end = nullptr;
      long v = std::strtol(code.c_str(), &end, 10);
      if (code.empty() || *end || v < 100 || v > 999) return error_response(502, "Bad Gateway: invalid Status header\n");
      r.status = static_cast<uint16_t>(v);
      explicit_status = true;
      sufficient = true;
      continue;
    }
    if (name == "content-type" || name == "location") sufficient = true;
    bool replaced = false;
    for (auto& h : headers)
      if (h.first == name) {
        h.second = value;
        replaced = true;
      }
    if (!replaced) headers.emplace_back(name, value);
  }
  if (!sufficient)
    return error_response(500, "Exactly one of 'location' or 'content-type' must be specified\n");
  for (auto& [k, v] : headers) {
    if (k == "location" && !explicit_status) r.status = 302;
    r.headers.push_back({k, v});
  }
  if (body_start < out.size()) r.body.assign(out.data() + body_start, out.size() - body_start);
  return r;
}

namespace {

// The stdout memfd, created and mapped once per thread and reused: creating and closing memfds was a
// tenth of a hello request. Between requests every byte a guest could have written is zeroed (a guest
// may seek and write anywhere: no byte of one request's output may reach the next). Zeroing through
// the mapping keeps the few pages a small response touches resident; hole-punching them instead made
// the kernel free and reallocate a page per request, a fifth of a hello request's CPU. Beyond
// kMaxZeroed the pages are punched out: one large response neither pins memory nor makes every
// later request zero it.
// The status flags need no reset: the WASI layer never applies F_SETFL to embedder-owned stdio
// (it emulates NONBLOCK and refuses APPEND changes), so a guest cannot leave flags behind.
struct WagiStdout {
  static constexpr uint64_t kPage = 4096;
  static constexpr uint64_t kMaxZeroed = 16 * 1024;
  int fd = -1;
  uint64_t cap = 0;
  const char* map = nullptr;
  ~WagiStdout() { close(); }
  void close() {
    if (map) ::munmap(const_cast<char*>(map), cap);
    if (fd >= 0) ::close(fd);
    map = nullptr;
    fd = -1;
    resident_ = 0;
  }
  bool ready(uint64_t want_cap) {
    if (fd >= 0 && cap == want_cap) return true;
    close();
    fd = ::memfd_create("wagi-stdout", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    // Bounded stdout: a sparse file of the cap's size that can neither grow nor shrink.
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(want_cap)) != 0 ||
        ::fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
      close();
      return false;
    }
    cap = want_cap;
    void* m = want_cap ? ::mmap(nullptr, want_cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : nullptr;
    if (m == MAP_FAILED) {
      close();
      return false;
    }
    map = static_cast<const char*>(m);
    return true;
  }
  // Back to "all zeros, offset 0". `len` is where the guest's offset ended (UINT64_MAX: unknown).
  // Every byte below `resident_` is zero-filled; beyond it SEEK_DATA must find nothing (ENXIO): when it
  // does (the guest seeked back over bytes it wrote further out), everything is punched instead.
  bool scrub(uint64_t len) {
    uint64_t dirty = len >= cap ? cap : (len + kPage - 1) / kPage * kPage;
    uint64_t upto = std::max(dirty, resident_);
    bool tail_clean = upto >= cap || (::lseek(fd, static_cast<off_t>(upto), SEEK_DATA) < 0 && errno == ENXIO);
    if (tail_clean && upto <= kMaxZeroed) {
      if (upto) std::memset(const_cast<char*>(map), 0, upto);
      resident_ = upto;
    } else {
      if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(cap)) != 0) return false;
      resident_ = 0;
    }
    return ::lseek(fd, 0, SEEK_SET) == 0;
  }

 private:
  uint64_t resident_ = 0;  // [0, resident_) may hold pages (all zero after a scrub); none beyond
};

// The stdin memfd, for requests with a body (without one, stdin is /dev/null). The guest may seek or
// truncate it: it is truncated and refilled for each request.
struct WagiStdin {
  int fd = -1;
  ~WagiStdin() {
    if (fd >= 0) ::close(fd);
  }
  bool fill(const std::string& body) {
    if (fd < 0) fd = ::memfd_create("wagi-stdin", MFD_CLOEXEC);
    // The previous guest left the offset wherever it read or seeked to: rewind before refilling.
    return fd >= 0 && ::ftruncate(fd, 0) == 0 && ::lseek(fd, 0, SEEK_SET) == 0 && write_all(fd, body) &&
           ::lseek(fd, 0, SEEK_SET) == 0;
  }
};

}  // namespace

http::Response run_wagi(const HostShared& host, const ComponentRuntime& c, const Executor& ex,
                        const http::Request& req, const RouteMatch& m, const SpinRequestInfo& info) {
  thread_local WagiStdout out;
  thread_local WagiStdin in;
  if (!out.ready(host.options.max_stdout_bytes)) return error_response(500, "cannot create request pipes\n");
  // Runs on every exit: the next request on this thread must find stdout clean.
  struct ScrubOnExit {
    WagiStdout& out;
    uint64_t len = UINT64_MAX;  // unknown until read: then everything is scrubbed
    ~ScrubOnExit() {
      if (!out.scrub(len)) out.close();  // cannot guarantee a clean stdout: start over with a fresh one
    }
  } scrub{out};
  if (!req.body.empty() && !in.fill(req.body)) return error_response(500, "cannot stage the request body\n");

  wasi::Config cfg;
  cfg.args = make_argv(ex.argv, req);
  cfg.env = make_env(c, req, m, info);
  cfg.preopens = c.preopens;
  cfg.stdin_fd = req.body.empty() ? host.devnull : in.fd;
  cfg.stdout_fd = out.fd;
  cfg.stderr_fd = 2;
  auto ctx = wasi::make_context(std::move(cfg));
  if (!ctx.ok()) return error_response(500, "WASI context: " + ctx.error() + "\n");

  // Declared before the store: the scope must outlast every call into the guest.
  WasiContextScope wasi_scope(ctx->get());
  engine::Store store(host.engine);
  const engine::Linker& linker = c.linker;
  auto deadline = Watchdog::Clock::now() + host.options.request_timeout;
  // The deadline covers instantiation too: a start function can loop as well as _start can.
  uint64_t arm = host.watchdog.arm(store.interrupt_handle(), deadline);
  auto inst = linker.instantiate(store, c.module);
  if (!inst.ok()) {
    bool fired = host.watchdog.disarm(arm);
    std::fprintf(stderr, "wasipool serve: component '%s': %s\n", c.component->id.c_str(), inst.error().message.c_str());
    return error_response(fired ? 504 : 500, fired ? "Gateway Timeout\n" : "Internal Server Error\n");
  }
  auto entry = (*inst)->get_func(ex.entrypoint);
  if (!entry) {
    host.watchdog.disarm(arm);
    std::fprintf(stderr, "wasipool serve: component '%s': no export '%s'\n", c.component->id.c_str(),
                 ex.entrypoint.c_str());
    return error_response(500, "Internal Server Error\n");
  }
  auto result = store.call(*entry, {});
  bool fired = host.watchdog.disarm(arm);
  if (!result.ok()) {
    const engine::Trap& t = result.error();
    if (t.kind != engine::TrapKind::Exit || t.exit_code != 0) {
      if (fired && t.kind == engine::TrapKind::Interrupted) {
        std::fprintf(stderr, "wasipool serve: component '%s': time limit exceeded\n", c.component->id.c_str());
        return error_response(504, "Gateway Timeout\n");
      }
      std::string why = t.kind == engine::TrapKind::Exit ? "exit status " + std::to_string(t.exit_code)
                                                         : (t.message.empty() ? engine::default_message(t.kind) : t.message);
      std::fprintf(stderr, "wasipool serve: component '%s': %s\n", c.component->id.c_str(), why.c_str());
      return error_response(500, "Internal Server Error\n");
    }
  }
  off_t len = ::lseek(out.fd, 0, SEEK_CUR);
  if (len < 0 || static_cast<uint64_t>(len) > out.cap) return error_response(500, "cannot read the guest's output\n");
  scrub.len = static_cast<uint64_t>(len);
  return parse_wagi_output(std::string_view(out.map, static_cast<size_t>(len)));
}

}  // namespace wasipool::spin
