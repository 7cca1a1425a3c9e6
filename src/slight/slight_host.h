// The slight application host: one app (slightfile + module) per process, as `slight run` does.
//
// load() checks everything that can be checked before the guest runs — every capability the
// slightfile names is supported ("capability X is not supported" otherwise), every import the module
// makes is an interface the slightfile grants with wit-bindgen 0.2's signature — so a bad app fails
// at start, never at its first request.
// run() drives the lifecycle: with an `http` capability and an `on-server-init` export (slight v0.5)
// that export is called, otherwise `_start` (slight v0.3: main builds a router and calls serve, which
// returns at once). Each server::serve binds where the guest asks and answers each request with a fresh
// instance that runs the export named after the route's handler ('_' -> '-'). run() then waits for
// SIGINT/SIGTERM (or until the guest stopped every server), drains in-flight requests and returns 0.
//
// Threading: run() is called once, on the main thread, with SIGINT and SIGTERM blocked in every thread
// (the caller blocks them before load(), which starts the worker threads). Requests run on a worker
// pool; the HTTP servers each have their own I/O threads.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "slightfile.h"
#include "wasipool/engine.h"

namespace wasipool::slight {

struct HostOptions {
  std::chrono::milliseconds request_timeout{30'000};  // per request, guest time; beyond -> 504
  unsigned workers = 0;                                // guest threads; 0: max(4, 2 x cores)
  size_t max_queued = 4096;                            // requests waiting for a worker; beyond -> 503
  uint64_t max_body_bytes = 16 * 1024 * 1024;          // request body limit; beyond -> 413
  // Filesystem keyvalue stores live in <state_dir>/<store>/; "" -> <slightfile dir>/.slight/keyvalue.
  std::string state_dir;
};

class SlightHost {
 public:
  virtual ~SlightHost() = default;
  // The process exit status: 0 after a signal (drained) or when the app ends by itself without error.
  virtual int run() = 0;
};

// Error: one line naming the file (and line) or the import at fault.
Result<std::unique_ptr<SlightHost>, std::string> load_slight_app(const engine::Engine& engine, SlightFile file,
                                                                 const std::string& module_path,
                                                                 HostOptions options);

}  // namespace wasipool::slight
