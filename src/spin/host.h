// The Spin HTTP trigger host: owns the loaded components, the router, the worker pool and the watchdog,
// and turns one http::Request into one http::Response (routing, well-known endpoints, spin-* headers,
// executor dispatch). Built once by serve; handle() is thread-safe and never blocks the caller.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "app.h"
#include "http/server.h"
#include "wasipool/engine.h"

namespace wasipool::spin {

struct HostOptions {
  std::chrono::milliseconds request_timeout{30'000};  // per request, guest time; beyond -> 504
  uint64_t max_stdout_bytes = 16 * 1024 * 1024;        // WAGI stdout cap; beyond -> the guest's writes fail
  unsigned workers = 0;                                // guest threads; 0: max(4, 2 x cores)
  // How many guests may run directly on the caller's (HTTP I/O) thread instead of being handed to a
  // worker: a hand-off costs two thread wake-ups per request, more than a hello guest. Only on a
  // primary I/O thread (http::on_primary_io_thread()): the server keeps serving through a spare thread
  // if they all stay busy. Guests importing network interfaces always go to the workers. 0: never.
  unsigned inline_guests = 0;
  size_t max_queued = 4096;                            // requests waiting for a worker; beyond -> 503
  std::string state_dir;                               // key-value databases; "" -> <manifest dir>/.spin
  bool quiet = false;                                  // no per-component log lines
};

class AppHost;

// Loads every component module once (and stages its files). Error: one line naming the component.
Result<std::unique_ptr<AppHost>, std::string> make_app_host(const engine::Engine& engine, App app,
                                                            HostOptions options);

class AppHost {
 public:
  virtual ~AppHost() = default;
  virtual void handle(http::Request&& req, http::Reply reply) = 0;
  virtual const App& app() const = 0;
};

}  // namespace wasipool::spin
