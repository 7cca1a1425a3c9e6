// What the executors share about one component: its module (decoded and validated once), its Linker
// (Spin 1.x host imports and WASI, built once: WASI calls find the request's context through
// current_wasi_context(), a per-thread pointer set by WasiContextScope around each guest call),
// its read-only mounts, and the host-wide services. Immutable after load; shared by all workers.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "app.h"
#include "host.h"
#include "http/server.h"
#include "router.h"
#include "wasi/wasi.h"
#include "wasipool/engine.h"
#include "worker_pool.h"

namespace wasipool::spin {

class KeyValue;

struct HostShared {
  const engine::Engine& engine;
  Watchdog& watchdog;
  HostOptions options;
  const App& app;
  KeyValue* kv = nullptr;
  int devnull = -1;  // stdin for Spin-executor guests
};

struct ComponentRuntime {
  size_t index = 0;
  const Component* component = nullptr;
  std::shared_ptr<const engine::Module> module;
  engine::Linker linker;                 // Spin 1.x interfaces the module imports + WASI
  std::vector<wasi::Preopen> preopens;   // all read-only
  std::vector<std::string> env;          // component environment, "K=V"
};

// The WASI context of the request running on this thread; null outside a guest call.
wasi::Context* current_wasi_context();

// Makes `ctx` this thread's WASI context for its lifetime (covering instantiation and every call).
class WasiContextScope {
 public:
  explicit WasiContextScope(wasi::Context* ctx);
  ~WasiContextScope();
  WasiContextScope(const WasiContextScope&) = delete;
  WasiContextScope& operator=(const WasiContextScope&) = delete;

 private:
  wasi::Context* previous_;
};

// The per-request facts both executors expose: the spin-* header values.
struct SpinRequestInfo {
  std::string full_url, path_info, matched_route, base_path, raw_component_route, component_route, client_addr;
};

http::Response run_wagi(const HostShared& host, const ComponentRuntime& c, const Executor& ex,
                        const http::Request& req, const RouteMatch& m, const SpinRequestInfo& info);
http::Response run_spin_http(const HostShared& host, const ComponentRuntime& c, const http::Request& req,
                             const SpinRequestInfo& info);

// WAGI stdout -> response, by Spin's compose_response rules (see docs/spin.md).
http::Response parse_wagi_output(std::string_view out);

// Defines every Spin 1.x host import `module` asks for on `linker` (implemented or answering the
// interface's error value), so instantiation never fails on an unresolved Spin import.
void define_spin_imports(engine::Linker& linker, const engine::Module& module, const HostShared& host,
                         const Component& component);

// Plain-text error response.
http::Response error_response(uint16_t status, std::string body);

}  // namespace wasipool::spin
