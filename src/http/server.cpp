// The HTTP/1.1 server on Boost.Asio + Beast (the only file that includes them; see server.h).
// Every limit below exists because the peer is untrusted: header/body caps bound memory per
// connection, the read timeout bounds slowloris-style trickling, the idle timeout bounds parked
// keep-alive connections.
#include "server.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <optional>
#include <thread>

namespace wasipool::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

struct Server::Impl {
  ServerOptions opts;
  Handler handler;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::signal_set signals{ioc};
  net::steady_timer drain_timer{ioc};
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  std::chrono::steady_clock::time_point stop_deadline;

  // Stall rescue (see server.h). Each primary thread has a counter that is odd while it is inside the
  // handler; the monitor sleeps until every primary is inside it at once, then looks every
  // stall_after: a primary whose counter has not moved since the last look is still in the same call.
  unsigned primaries = 0;
  std::unique_ptr<std::atomic<uint64_t>[]> in_handler;
  std::atomic<unsigned> busy{0};  // primaries inside the handler
  std::mutex mon_mu;
  std::condition_variable mon_cv;
  bool mon_kick = false, mon_done = false;  // guarded by mon_mu
  std::atomic<bool> mon_sleeping{false};
  std::atomic<bool> spare_running{false};
  std::thread monitor, spare;

  Impl(ServerOptions o, Handler h) : opts(std::move(o)), handler(std::move(h)) {}
  void accept();
  void begin_stop();
  void drain();
  void run_loop();
  void watch_stalls();
  void start_spare();
  void handler_entered();
};

namespace {
thread_local int tl_primary = -1;  // index of this primary I/O thread, -1 elsewhere
}  // namespace

// Marks the calling primary thread as inside the handler for the scope's lifetime.
class HandlerScope {
 public:
  explicit HandlerScope(Server::Impl& s) : s_(s), slot_(tl_primary) {
    if (slot_ < 0) return;
    s_.in_handler[slot_].fetch_add(1, std::memory_order_relaxed);
    s_.handler_entered();
  }
  ~HandlerScope() {
    if (slot_ < 0) return;
    s_.busy.fetch_sub(1);
    s_.in_handler[slot_].fetch_add(1, std::memory_order_relaxed);
  }
  HandlerScope(const HandlerScope&) = delete;
  HandlerScope& operator=(const HandlerScope&) = delete;

 private:
  Server::Impl& s_;
  int slot_;
};

// Wakes the monitor only when this entry makes every primary busy and the monitor is asleep: under
// load that is rare, and an idle server has no periodic wake-ups at all. busy and mon_sleeping are
// sequentially consistent, so either we see the monitor asleep or it sees us busy before sleeping.
void Server::Impl::handler_entered() {
  if (busy.fetch_add(1) + 1 < primaries || !mon_sleeping.load()) return;
  {
    std::lock_guard lock(mon_mu);
    mon_kick = true;
  }
  mon_cv.notify_one();
}

void Server::Impl::watch_stalls() {
  std::vector<uint64_t> last(primaries);
  for (;;) {
    {
      std::unique_lock lock(mon_mu);
      mon_sleeping.store(true);
      mon_cv.wait(lock, [this] { return mon_done || mon_kick || busy.load() >= primaries; });
      mon_kick = false;
      mon_sleeping.store(false);
      if (mon_done) return;
    }
    for (unsigned i = 0; i < primaries; ++i) last[i] = in_handler[i].load(std::memory_order_relaxed);
    for (;;) {
      {
        std::unique_lock lock(mon_mu);
        if (mon_cv.wait_for(lock, opts.stall_after, [this] { return mon_done; })) return;
      }
      bool stuck = true;
      for (unsigned i = 0; i < primaries; ++i) {
        uint64_t v = in_handler[i].load(std::memory_order_relaxed);
        if (!(v & 1) || v != last[i]) stuck = false;
        last[i] = v;
      }
      if (stuck) start_spare();
      if (busy.load() < primaries && !spare_running.load()) break;
    }
  }
}

// Monitor thread only. The spare serves I/O (its handler calls run nothing long: it is not a primary)
// until a primary is free again or the server stops.
void Server::Impl::start_spare() {
  if (spare_running.load()) return;
  if (spare.joinable()) spare.join();
  spare_running.store(true);
  spare = std::thread([this] {
    for (;;) {
      try {
        ioc.run_one_for(opts.stall_after);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "wasipool serve: internal error in the HTTP loop: %s\n", e.what());
      }
      if (ioc.stopped() || busy.load() < primaries) break;
    }
    spare_running.store(false);
  });
}

// An exception escaping a handler (an allocation failure, a library bug) ends that handler only: the
// loop is re-entered so one bad request cannot take the whole server down.
void Server::Impl::run_loop() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "wasipool serve: internal error in the HTTP loop: %s\n", e.what());
    }
  }
}

namespace {

// Header names must be tokens and values must not contain CR, LF or NUL: a guest-chosen header could
// otherwise split the response and smuggle a second one to the client.
bool valid_header(const Header& h) {
  if (h.name.empty()) return false;
  for (unsigned char c : h.name)
    if (c <= 32 || c >= 127 || std::strchr("\"(),/:;<=>?@[\\]{}", c)) return false;
  for (unsigned char c : h.value)
    if (c == '\r' || c == '\n' || c == 0) return false;
  return true;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void start() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      client_ip_ = ep.address().to_string();
      client_port_ = ep.port();
    }
    stream_.socket().set_option(tcp::no_delay(true), ec);
    next_request(true);
  }

 private:
  // Waits for the next request: the idle timeout until its first byte, then the read timeout.
  void next_request(bool first) {
    if (server_.stopping && !first) return close();
    parser_.emplace();
    parser_->header_limit(server_.opts.max_header_bytes);
    parser_->body_limit(server_.opts.max_body_bytes);
    // Until the header is complete: the idle timeout between keep-alive requests, else the read timeout
    // (pipelined bytes already buffered mean the next request has begun).
    bool idle = !first && buffer_.size() == 0;
    stream_.expires_after(idle ? server_.opts.idle_timeout : server_.opts.read_timeout);
    read_header();
  }

  void read_header() {
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_error(ec);
    auto& req = parser_->get();
    // curl and others wait for "100 Continue" before sending a large body.
    if (parser_->is_done()) return on_request();
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, req.version());
      bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(server_.opts.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->on_error(ec);
      self->on_request();
    });
  }

  void on_error(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset)
      return close();
    if (ec == beast::error::timeout) return close();
    if (ec == bhttp::error::header_limit) return fail_status(431, "request header too large\n");
    if (ec == bhttp::error::body_limit) return fail_status(413, "request body too large\n");
    return fail_status(400, "malformed request\n");
  }

  // Answers a request we could not parse and closes: the stream position is unknown after a parse error.
  void fail_status(unsigned status, std::string body) {
    Response r;
    r.status = static_cast<uint16_t>(status);
    r.headers.push_back({"content-type", "text/plain"});
    r.body = std::move(body);
    keep_alive_ = false;
    head_ = false;
    ++server_.in_flight;
    write(std::move(r));
  }

  void on_request() {
    auto& m = parser_->get();
    Request req;
    req.method = std::string(m.method_string());
    req.target = std::string(m.target());
    size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    req.version = m.version();
    for (const auto& f : m) {
      req.headers.push_back({std::string(f.name_string()), std::string(f.value())});
      if (f.name() == bhttp::field::host) req.host = std::string(f.value());
    }
    req.body = std::move(m.body());
    req.client_ip = client_ip_;
    req.client_port = client_port_;
    keep_alive_ = m.keep_alive();
    head_ = m.method() == bhttp::verb::head;
    version_ = m.version();
    // The request is complete; time from here on is the handler's, bounded by its own watchdog.
    stream_.expires_never();
    ++server_.in_flight;
    auto self = shared_from_this();
    auto executor = stream_.get_executor();
    HandlerScope scope(server_);
    server_.handler(std::move(req), [self, executor](Response resp) {
      net::post(executor, [self, resp = std::move(resp)]() mutable { self->write(std::move(resp)); });
    });
  }

  void write(Response r) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(version_);
    res->result(r.status);
    std::string dropped;
    for (auto& h : r.headers) {
      if (!valid_header(h)) continue;
      // The server frames the message itself; a guest must not set conflicting framing headers.
      if (beast::iequals(h.name, "content-length") || beast::iequals(h.name, "transfer-encoding") ||
          beast::iequals(h.name, "connection"))
        continue;
      res->insert(h.name, h.value);
    }
    bool keep = keep_alive_ && !server_.stopping;
    res->keep_alive(keep);
    size_t len = r.body.size();
    if (!head_) res->body() = std::move(r.body);
    res->content_length(len);
    stream_.expires_after(server_.opts.read_timeout);
    bhttp::async_write(stream_, *res, [self = shared_from_this(), res, keep](beast::error_code ec, size_t) {
      --self->server_.in_flight;
      if (ec || !keep) return self->close();
      self->next_request(false);
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string client_ip_;
  uint16_t client_port_ = 0;
  bool keep_alive_ = true;
  bool head_ = false;
  unsigned version_ = 11;
};

Result<tcp::endpoint, std::string> parse_listen(const std::string& s) {
  std::string host, port;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return fail("invalid listen address '" + s + "' (expected [IPv6]:PORT)");
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string::npos) return fail("invalid listen address '" + s + "' (expected IP:PORT)");
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) return fail("invalid listen address '" + s + "': '" + host + "' is not an IP address");
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end || p < 0 || p > 65535) return fail("invalid listen address '" + s + "': bad port");
  return tcp::endpoint(addr, static_cast<uint16_t>(p));
}

}  // namespace

void Server::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (ec) {
      if (ec == net::error::operation_aborted) return;
      // EMFILE and friends: keep serving the connections we have; try again shortly.
      std::fprintf(stderr, "wasipool serve: accept: %s\n", ec.message().c_str());
      auto t = std::make_shared<net::steady_timer>(ioc, std::chrono::milliseconds(50));
      t->async_wait([this, t](beast::error_code) { accept(); });
      return;
    }
    std::make_shared<Session>(std::move(socket), *this)->start();
    accept();
  });
}

void Server::Impl::begin_stop() {
  if (stopping.exchange(true)) return;
  beast::error_code ec;
  acceptor.close(ec);
  signals.cancel(ec);
  stop_deadline = std::chrono::steady_clock::now() + opts.shutdown_grace;
  drain();
}

// Polls until in-flight requests have been answered (or the grace period ends), then stops the loop;
// idle keep-alive connections are simply dropped.
void Server::Impl::drain() {
  if (in_flight.load() == 0 || std::chrono::steady_clock::now() >= stop_deadline) {
    ioc.stop();
    return;
  }
  drain_timer.expires_after(std::chrono::milliseconds(20));
  drain_timer.async_wait([this](beast::error_code) { drain(); });
}

Result<std::unique_ptr<Server>, std::string> Server::create(ServerOptions options, Handler handler) {
  auto ep = parse_listen(options.listen);
  if (!ep.ok()) return fail(ep.error());
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  beast::error_code ec;
  impl->acceptor.open(ep->protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(*ep, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on " + impl->opts.listen + ": " + ec.message());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

uint16_t Server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::string Server::local_address() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  std::string a = ep.address().to_string();
  if (ep.address().is_v6()) a = "[" + a + "]";
  return a + ":" + std::to_string(ep.port());
}

void Server::run() {
  Impl& s = *impl_;
  if (s.opts.handle_signals) {
    s.signals.add(SIGINT);
    s.signals.add(SIGTERM);
    s.signals.async_wait([&s](beast::error_code ec, int) {
      if (!ec) s.begin_stop();
    });
  }
  s.accept();
  unsigned n = s.opts.threads ? s.opts.threads : std::max(1u, std::thread::hardware_concurrency());
  s.primaries = n;
  // The monitor waits stall_after between looks: zero would make it spin.
  s.opts.stall_after = std::max(s.opts.stall_after, std::chrono::milliseconds(1));
  s.in_handler = std::make_unique<std::atomic<uint64_t>[]>(n);
  s.monitor = std::thread([&s] { s.watch_stalls(); });
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i)
    threads.emplace_back([&s, i] {
      tl_primary = static_cast<int>(i);
      s.run_loop();
    });
  int outer = tl_primary;  // run() may itself be called from a handler of another server
  tl_primary = 0;
  s.run_loop();
  tl_primary = outer;
  for (auto& t : threads) t.join();
  {
    std::lock_guard lock(s.mon_mu);
    s.mon_done = true;
  }
  s.mon_cv.notify_all();
  s.monitor.join();
  if (s.spare.joinable()) s.spare.join();
}

bool on_primary_io_thread() { return tl_primary >= 0; }

void Server::stop() {
  net::post(impl_->ioc, [this] { impl_->begin_stop(); });
}

std::string reason_phrase(unsigned status) {
  return std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(status)));
}

}  // namespace wasipool::http
