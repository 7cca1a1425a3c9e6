// A small HTTP/1.1 server for the app hosts (Spin today). Beast and Asio stay inside server.cpp, the only
// translation unit that includes them, so the rest of the tree compiles fast and knows nothing of them.
//
// Threading: run() drives one io_context from `threads` primary I/O threads (default: one per core);
// every connection runs on its own strand. The handler is called on an I/O thread and calls Reply
// (exactly once, from any thread, possibly before it returns) when the response is ready. On a primary
// thread (on_primary_io_thread()) it may do bounded work inline, such as running a short guest: a
// hand-off to another thread costs two thread wake-ups, more than a hello guest. If every primary
// thread stays inside the handler longer than `stall_after`, one spare thread takes over accepting
// and reading until a primary is free again, so long or stuck handlers never stop the server; on the
// spare thread (on_primary_io_thread() false) the handler must not block. The Server must outlive
// every Reply it handed out.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wasipool/result.h"

namespace wasipool::http {

struct Header {
  std::string name, value;
};

struct Request {
  std::string method;   // as sent, e.g. "GET"
  std::string target;   // request-target as sent: "/path?query"
  std::string path;     // target up to '?'
  std::string query;    // after '?', raw (not decoded)
  unsigned version = 11;  // 10 or 11
  std::vector<Header> headers;  // as sent, in order
  std::string body;
  std::string client_ip;
  uint16_t client_port = 0;
  std::string host;     // Host header, "" when absent
};

struct Response {
  uint16_t status = 200;
  std::vector<Header> headers;
  std::string body;
};

using Reply = std::function<void(Response)>;
using Handler = std::function<void(Request&& req, Reply reply)>;

struct ServerOptions {
  std::string listen = "127.0.0.1:3000";  // "IP:PORT" or "[IPv6]:PORT"; port 0 picks a free one
  uint32_t max_header_bytes = 16 * 1024;  // request line + headers; beyond -> 431
  uint64_t max_body_bytes = 16 * 1024 * 1024;  // beyond -> 413
  std::chrono::milliseconds read_timeout{30'000};   // from the first byte to the end of a request
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive wait for the next request
  std::chrono::milliseconds shutdown_grace{30'000}; // how long stop() lets in-flight requests finish
  unsigned threads = 0;                   // primary I/O threads; 0: one per core
  // Every primary thread inside the handler for this long -> a spare I/O thread (see above).
  std::chrono::milliseconds stall_after{2};
  bool handle_signals = true;             // SIGINT/SIGTERM -> graceful stop()
};

class Server {
 public:
  // Binds and listens (so port() is known before run()). Error: one line naming the address.
  static Result<std::unique_ptr<Server>, std::string> create(ServerOptions options, Handler handler);
  ~Server();
  uint16_t port() const;
  std::string local_address() const;  // "127.0.0.1:3000"
  // Serves until stop() (or a signal): then accepts nothing new, lets in-flight requests finish (up to
  // shutdown_grace) and returns.
  void run();
  void stop();  // thread-safe

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True on a primary I/O thread of a running Server (inside its handler: inline work is allowed);
// false on a spare I/O thread and on any other thread.
bool on_primary_io_thread();

// Reason phrase for a status code ("Not Found"); "" when unknown.
std::string reason_phrase(unsigned status);

}  // namespace wasipool::http
