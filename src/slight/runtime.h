// What slight's host imports share with the host that runs them (internal to src/slight).
//
// One Linker serves every instance (the main one that runs _start / on-server-init, and the fresh one
// each request gets): the host functions find the calling instance's resource tables through a
// per-thread pointer that InstanceScope sets around instantiation and every call into the guest.
// Resources are wit-bindgen 0.2 handles: i32 indices into those per-instance tables, released by the
// guest through canonical_abi.resource_drop_<resource>.
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "keyvalue.h"
#include "slightfile.h"
#include "wasi/wasi.h"
#include "wasipool/engine.h"

namespace wasipool::slight {

struct Route {
  std::string method;   // GET, PUT, POST or DELETE
  std::string path;     // as registered: "/hello", "/users/:id", "/files/*"
  std::string handler;  // as registered ("handle_hello"); the export called is "handle-hello"
};

struct RouterResource {
  std::string base;  // new-with-base's argument (recorded, not applied: slight v0.3-v0.5 ignore it too)
  std::vector<Route> routes;
};

struct KeyvalueResource {
  KvBackend* backend = nullptr;
  std::string store;
};

struct ConfigsResource {
  std::string name;
};

struct ServerResource {
  size_t server = 0;  // index in the host's server list
};

// Handles start at 1: a zeroed return area or an uninitialised guest variable never names a resource.
template <class T>
class HandleTable {
 public:
  uint32_t insert(T v) {
    items_.push_back(std::move(v));
    return static_cast<uint32_t>(items_.size());
  }
  T* get(uint32_t h) {
    if (h == 0 || h > items_.size() || !items_[h - 1]) return nullptr;
    return &*items_[h - 1];
  }
  bool drop(uint32_t h) {
    if (!get(h)) return false;
    items_[h - 1].reset();
    return true;
  }
  // A guest that keeps allocating handles without dropping them is bounded by this.
  size_t size() const { return items_.size(); }

 private:
  std::vector<std::optional<T>> items_;
};

// Per-instance state: the WASI context and the resource tables. Single-threaded like its Store.
struct InstanceState {
  wasi::Context* wasi = nullptr;
  HandleTable<RouterResource> routers;
  HandleTable<ServerResource> servers;
  HandleTable<KeyvalueResource> keyvalues;
  HandleTable<ConfigsResource> configs;
  // Route entries held by all the routers this instance ever built: each registration copies its
  // router, so without a bound a guest could make the host copy quadratically many routes.
  size_t route_entries = 0;
};

InstanceState* current_instance();
wasi::Context* current_wasi();

class InstanceScope {
 public:
  explicit InstanceScope(InstanceState* s);
  ~InstanceScope();
  InstanceScope(const InstanceScope&) = delete;
  InstanceScope& operator=(const InstanceScope&) = delete;

 private:
  InstanceState* previous_;
};

// The capabilities the slightfile grants, resolved at load (immutable afterwards, shared by threads).
struct Capabilities {
  const SlightFile* file = nullptr;
  bool http = false, http_client = false;
  struct Keyvalue {
    const Capability* cap;
    std::unique_ptr<KvBackend> backend;
  };
  std::vector<Keyvalue> keyvalue;
  std::vector<const Capability*> configs;
};

// The configs capability's values (configs.envvars): the host environment, overlaid by what guests
// set() (kept in the process, never written to the real environment). Thread-safe.
class ConfigStore {
 public:
  std::optional<std::string> get(const std::string& key);
  void set(const std::string& key, const std::string& value);

 private:
  std::mutex mu_;
  std::map<std::string, std::string> overlay_;
};

// What server::serve / server::stop reach in the host. Thread-safe.
class ServerControl {
 public:
  virtual ~ServerControl() = default;
  // Binds `address` and serves `router` (non-blocking). Error: one line.
  virtual Result<size_t, std::string> serve(const std::string& address, const RouterResource& router) = 0;
  virtual void stop(size_t server) = 0;
};

struct ImportEnv {
  const Capabilities& caps;
  ConfigStore& configs;
  ServerControl& servers;
  std::chrono::milliseconds outbound_timeout{10'000};
  uint64_t max_response_bytes = 16 * 1024 * 1024;
};

// Checks every import of `module` and defines the slight interfaces it uses on `linker`. Error (at
// load, never at the first request): an interface the slightfile grants no capability for, an
// unknown interface or function, or a signature that is not wit-bindgen 0.2's.
Result<Ok, std::string> define_slight_imports(engine::Linker& linker, const engine::Module& module,
                                              const std::string& module_name, const ImportEnv& env);

}  // namespace wasipool::slight
