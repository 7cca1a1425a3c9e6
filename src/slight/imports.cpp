// slight's host interfaces for wit-bindgen 0.2 core modules (see runtime.h).
//
// Import names are what wit-bindgen 0.2 emits for an imported interface: module = the .wit file's name
// ("keyvalue", "configs", "http-server", "http-client"; "kv" and "http" of slight 0.1/0.2), function =
// "<resource>::<func>" for resource functions ("keyvalue::open", "router::new-with-base") or the plain
// name ("request"); resource handles are released through "canonical_abi"."resource_drop_<resource>".
// A function with more than one flat result takes a return-area pointer as its last parameter, into
// which the host writes expected<T, E> (layout in spin/canonical_abi.h).
#include <cstdio>
#include <map>

#include "runtime.h"
#include "spin/canonical_abi.h"
#include "spin/outbound_http.h"

namespace wasipool::slight {

namespace {

using engine::Caller;
using engine::FuncType;
using engine::HostFunction;
using engine::HostResult;
using engine::ValType;
using spin::GuestMemory;
using spin::guest_string;
using spin::write_err;
using spin::write_ok_slice;
using spin::write_ok_u32;
using spin::write_ok_unit;

using Args = std::span<const uint64_t>;
using Results = std::span<uint64_t>;

// A guest that opens handles in a loop without dropping them is stopped here, not by host memory.
constexpr size_t kMaxHandles = 65'536;
// A real app registers tens of routes (n routes cost n(n+1)/2 entries, since each router is a copy).
constexpr size_t kMaxRouteEntries = 200'000;

FuncType i32s(size_t params, size_t results = 0) {
  FuncType t;
  t.params.assign(params, ValType::I32);
  t.results.assign(results, ValType::I32);
  return t;
}

uint32_t arg(Args a, size_t i) { return static_cast<uint32_t>(a[i]); }

HostResult oob(const char* fn) { return engine::Trap::host(std::string(fn) + ": argument out of bounds"); }

InstanceState& state() {
  // Every guest call runs inside an InstanceScope (slight_host.cpp); outside one there is no table.
  thread_local InstanceState none;
  InstanceState* s = current_instance();
  return s ? *s : none;
}

// An interface's error variant: the slight 0.1/0.2 interfaces ("kv", "http") have the single case
// error-with-description(string); the v0.3+ ones have several, all carrying a string.
struct ErrorStyle {
  bool single_case = false;
  uint8_t tag(uint8_t modern) const { return single_case ? 0 : modern; }
};

// Case indices of keyvalue-error, configs-error, http-router-error and http-error (slight v0.3-v0.5).
constexpr uint8_t kKvUnexpected = 7;
constexpr uint8_t kConfigsNotFound = 0, kConfigsUnexpected = 4;
constexpr uint8_t kRouterUnexpected = 4;
constexpr uint8_t kHttpInvalidUrl = 0, kHttpUnexpected = 4;

HostResult err(Caller& c, uint32_t ret, ErrorStyle style, uint8_t tag, const std::string& msg) {
  return write_err(c, ret, style.tag(tag), &msg);
}

struct Entry {
  FuncType type;
  HostFunction fn;
};
using Table = std::map<std::pair<std::string, std::string>, Entry>;

// The capability a 0.2 name (or "*", or in 0.1 any name) opens; null when none.
template <class T, class GetCap>
const T* find_named(const std::vector<T>& caps, const SlightFile& f, const std::string& name, GetCap cap_of) {
  for (const auto& c : caps)
    if (cap_of(c)->name == name) return &c;
  for (const auto& c : caps)
    if (cap_of(c)->name == "*") return &c;
  // 0.1 capabilities are named by their resource, so whatever name the guest opens means "the" store.
  if (f.specversion == "0.1" && !caps.empty()) return &caps.front();
  return nullptr;
}

void add_keyvalue(Table& t, const ImportEnv& env, const std::string& module) {
  const std::string r = module;  // resource name == interface name ("keyvalue" or "kv")
  ErrorStyle style{module == "kv"};
  const ImportEnv* e = &env;
  auto kv_err = [style](Caller& c, uint32_t ret, const KvError& ke) {
    return err(c, ret, style, static_cast<uint8_t>(ke.kind), ke.message);
  };
  t[{module, r + "::open"}] = {i32s(3), [e, style](Caller& c, Args a, Results) -> HostResult {
    auto name = guest_string(c, arg(a, 0), arg(a, 1));
    if (!name) return oob("keyvalue::open");
    auto* cap = find_named(e->caps.keyvalue, *e->caps.file, *name, [](const Capabilities::Keyvalue& k) { return k.cap; });
    if (!cap)
      return err(c, arg(a, 2), style, kKvUnexpected, "the slightfile has no keyvalue capability named '" + *name + "'");
    if (state().keyvalues.size() >= kMaxHandles) return err(c, arg(a, 2), style, kKvUnexpected, "too many open handles");
    return write_ok_u32(c, arg(a, 2), state().keyvalues.insert({cap->backend.get(), *name}));
  }};
  t[{module, r + "::get"}] = {i32s(4), [style, kv_err](Caller& c, Args a, Results) -> HostResult {
    uint32_t ret = arg(a, 3);
    auto* kv = state().keyvalues.get(arg(a, 0));
    if (!kv) return err(c, ret, style, kKvUnexpected, "invalid keyvalue handle");
    auto key = guest_string(c, arg(a, 1), arg(a, 2));
    if (!key) return oob("keyvalue::get");
    auto v = kv->backend->get(kv->store, *key);
    if (!v.ok()) return kv_err(c, ret, v.error());
    GuestMemory g(c.store(), c.instance());
    auto s = g.put_bytes(*v, 1);
    if (!s) return engine::Trap::host("keyvalue::get: " + g.last_error());
    return write_ok_slice(c, ret, *s);
  }};
  t[{module, r + "::set"}] = {i32s(6), [style, kv_err](Caller& c, Args a, Results) -> HostResult {
    uint32_t ret = arg(a, 5);
    auto* kv = state().keyvalues.get(arg(a, 0));
    if (!kv) return err(c, ret, style, kKvUnexpected, "invalid keyvalue handle");
    auto key = guest_string(c, arg(a, 1), arg(a, 2)), value = guest_string(c, arg(a, 3), arg(a, 4));
    if (!key || !value) return oob("keyvalue::set");
    auto r = kv->backend->set(kv->store, *key, *value);
    if (!r.ok()) return kv_err(c, ret, r.error());
    return write_ok_unit(c, ret);
  }};
  t[{module, r + "::keys"}] = {i32s(2), [style, kv_err](Caller& c, Args a, Results) -> HostResult {
    uint32_t ret = arg(a, 1);
    auto* kv = state().keyvalues.get(arg(a, 0));
    if (!kv) return err(c, ret, style, kKvUnexpected, "invalid keyvalue handle");
    auto keys = kv->backend->keys(kv->store);
    if (!keys.ok()) return kv_err(c, ret, keys.error());
    GuestMemory g(c.store(), c.instance());
    auto s = g.put_strings(*keys);
    if (!s) return engine::Trap::host("keyvalue::keys: " + g.last_error());
    return write_ok_slice(c, ret, *s);
  }};
  t[{module, r + "::delete"}] = {i32s(4), [style, kv_err](Caller& c, Args a, Results) -> HostResult {
    uint32_t ret = arg(a, 3);
    auto* kv = state().keyvalues.get(arg(a, 0));
    if (!kv) return err(c, ret, style, kKvUnexpected, "invalid keyvalue handle");
    auto key = guest_string(c, arg(a, 1), arg(a, 2));
    if (!key) return oob("keyvalue::delete");
    auto r = kv->backend->remove(kv->store, *key);
    if (!r.ok()) return kv_err(c, ret, r.error());
    return write_ok_unit(c, ret);
  }};
  if (module == "kv")  // 0.1/0.2 `watch: func(key) -> expected<observable, error>`: no events here
    t[{module, "kv::watch"}] = {i32s(4), [style](Caller& c, Args a, Results) -> HostResult {
      return err(c, arg(a, 3), style, 0, "kv::watch is not supported by wasipool");
    }};
}

void add_configs(Table& t, const ImportEnv& env) {
  const ImportEnv* e = &env;
  ErrorStyle style;
  t[{"configs", "configs::open"}] = {i32s(3), [e, style](Caller& c, Args a, Results) -> HostResult {
    auto name = guest_string(c, arg(a, 0), arg(a, 1));
    if (!name) return oob("configs::open");
    auto* cap = find_named(e->caps.configs, *e->caps.file, *name, [](const Capability* p) { return p; });
    if (!cap) return err(c, arg(a, 2), style, kConfigsUnexpected, "the slightfile has no configs capability named '" + *name + "'");
    if (state().configs.size() >= kMaxHandles) return err(c, arg(a, 2), style, kConfigsUnexpected, "too many open handles");
    return write_ok_u32(c, arg(a, 2), state().configs.insert({*name}));
  }};
  t[{"configs", "configs::get"}] = {i32s(4), [e, style](Caller& c, Args a, Results) -> HostResult {
    uint32_t ret = arg(a, 3);
    if (!state().configs.get(arg(a, 0))) return err(c, ret, style, kConfigsUnexpected, "invalid configs handle");
    auto key = guest_string(c, arg(a, 1), arg(a, 2));
    if (!key) return oob("configs::get");
    auto v = e->configs.get(*key);
    if (!v) return err(c, ret, style, kConfigsNotFound, "no environment variable '" + *key + "'");
    GuestMemory g(c.store(), c.instance());
    auto s = g.put_bytes(*v, 1);
    if (!s) return engine::Trap::host("configs::get: " + g.last_error());
    return write_ok_slice(c, ret, *s);
  }};
  t[{"configs", "configs::set"}] = {i32s(6), [e, style](Caller& c, Args a, Results) -> HostResult {
    uint32_t ret = arg(a, 5);
    if (!state().configs.get(arg(a, 0))) return err(c, ret, style, kConfigsUnexpected, "invalid configs handle");
    auto key = guest_string(c, arg(a, 1), arg(a, 2)), value = guest_string(c, arg(a, 3), arg(a, 4));
    if (!key || !value) return oob("configs::set");
    e->configs.set(*key, *value);
    return write_ok_unit(c, ret);
  }};
}

void add_http_server(Table& t, const ImportEnv& env, const std::string& module) {
  ErrorStyle style{module == "http"};
  ServerControl* servers = &env.servers;
  auto new_router = [style](Caller& c, uint32_t ret, std::string base) -> HostResult {
    if (state().routers.size() >= kMaxHandles) return err(c, ret, style, kRouterUnexpected, "too many open handles");
    return write_ok_u32(c, ret, state().routers.insert({std::move(base), {}}));
  };
  t[{module, "router::new"}] = {i32s(1), [new_router](Caller& c, Args a, Results) -> HostResult {
    return new_router(c, arg(a, 0), "");
  }};
  t[{module, "router::new-with-base"}] = {i32s(3), [new_router](Caller& c, Args a, Results) -> HostResult {
    auto base = guest_string(c, arg(a, 0), arg(a, 1));
    if (!base) return oob("router::new-with-base");
    return new_router(c, arg(a, 2), *base);
  }};
  for (const char* method : {"get", "put", "post", "delete"}) {
    std::string upper;
    for (const char* p = method; *p; ++p) upper += static_cast<char>(*p - 'a' + 'A');
    // Each registration returns a new router (the old handle stays valid and unchanged), as slight does.
    t[{module, std::string("router::") + method}] = {i32s(6), [style, upper](Caller& c, Args a, Results) -> HostResult {
      uint32_t ret = arg(a, 5);
      auto* r = state().routers.get(arg(a, 0));
      if (!r) return err(c, ret, style, kRouterUnexpected, "invalid router handle");
      auto route = guest_string(c, arg(a, 1), arg(a, 2)), handler = guest_string(c, arg(a, 3), arg(a, 4));
      if (!route || !handler) return oob("router::route");
      if (route->empty() || (*route)[0] != '/')
        return err(c, ret, style, 0, "route '" + *route + "' must start with '/'");
      if (state().routers.size() >= kMaxHandles) return err(c, ret, style, kRouterUnexpected, "too many open handles");
      if ((state().route_entries += r->routes.size() + 1) > kMaxRouteEntries)
        return err(c, ret, style, kRouterUnexpected, "too many routes");
      RouterResource next = *r;
      next.routes.push_back({upper, *route, *handler});
      return write_ok_u32(c, ret, state().routers.insert(std::move(next)));
    }};
  }
  t[{module, "server::serve"}] = {i32s(4), [style, servers](Caller& c, Args a, Results) -> HostResult {
    uint32_t ret = arg(a, 3);
    auto address = guest_string(c, arg(a, 0), arg(a, 1));
    if (!address) return oob("server::serve");
    auto* r = state().routers.get(arg(a, 2));
    if (!r) return err(c, ret, style, kRouterUnexpected, "invalid router handle");
    auto s = servers->serve(*address, *r);
    if (!s.ok()) return err(c, ret, style, kRouterUnexpected, s.error());
    return write_ok_u32(c, ret, state().servers.insert({*s}));
  }};
  t[{module, "server::stop"}] = {i32s(2), [style, servers](Caller& c, Args a, Results) -> HostResult {
    auto* s = state().servers.get(arg(a, 0));
    if (!s) return err(c, arg(a, 1), style, kRouterUnexpected, "invalid server handle");
    servers->stop(s->server);
    return write_ok_unit(c, arg(a, 1));
  }};
}

void add_http_client(Table& t, const ImportEnv& env) {
  const ImportEnv* e = &env;
  // request: func(req: request) -> expected<response, http-error>: 10 flat request args + return area.
  t[{"http-client", "request"}] = {i32s(11), [e](Caller& c, Args a, Results) -> HostResult {
    uint32_t ret = arg(a, 10);
    auto req = spin::lift_http_request_args(c, a, 0);
    if (!req.ok()) return engine::Trap::host("http-client.request: " + req.error());
    auto url = spin::parse_outbound_url(req->uri);
    if (!url) return err(c, ret, {}, kHttpInvalidUrl, "invalid url '" + req->uri + "' (http:// or https:// with a host)");
    if (url->scheme == "https") return err(c, ret, {}, kHttpUnexpected, "https is not supported by wasipool (no TLS)");
    spin::OutboundRequest out;
    out.method = req->method < 7 ? spin::kHttpMethods[req->method] : "GET";
    out.host = url->host;
    out.port = url->port;
    out.target = url->target;
    out.headers = std::move(req->headers);
    if (req->body) out.body = std::move(*req->body);
    auto resp = spin::send_outbound(out, e->outbound_timeout, e->max_response_bytes);
    if (!resp.ok()) return err(c, ret, {}, kHttpUnexpected, resp.error());
    GuestMemory g(c.store(), c.instance());
    if (auto w = spin::write_http_response(g, ret + 4ull, *resp); !w.ok())
      return engine::Trap::host("http-client.request: " + w.error());
    return write_ok_unit(c, ret);
  }};
}

// resource_drop_<r> releases a handle; resource_clone_<r> (emitted by wit-bindgen's C generator) copies
// it. A bad handle traps, as wit-bindgen-wasmtime's "failed to remove handle" does.
template <class T>
void add_resource(Table& t, const std::string& resource, HandleTable<T> InstanceState::*table) {
  t[{"canonical_abi", "resource_drop_" + resource}] = {i32s(1), [table, resource](Caller&, Args a, Results) -> HostResult {
    if (!(state().*table).drop(arg(a, 0))) return engine::Trap::host("resource_drop_" + resource + ": invalid handle");
    return std::nullopt;
  }};
  t[{"canonical_abi", "resource_clone_" + resource}] = {i32s(1, 1), [table, resource](Caller&, Args a, Results r) -> HostResult {
    auto* v = (state().*table).get(arg(a, 0));
    if (!v || (state().*table).size() >= kMaxHandles) return engine::Trap::host("resource_clone_" + resource + ": invalid handle");
    T copy = *v;
    r[0] = (state().*table).insert(std::move(copy));
    return std::nullopt;
  }};
}

// Which capability each interface needs (the message names what to add to the slightfile).
const char* required_capability(const std::string& module) {
  if (module == "keyvalue" || module == "kv") return "keyvalue";
  if (module == "configs") return "configs";
  if (module == "http-server" || module == "http") return "http";
  if (module == "http-client") return "http-client";
  return nullptr;
}

bool granted(const Capabilities& caps, const std::string& kind) {
  if (kind == "keyvalue") return !caps.keyvalue.empty();
  if (kind == "configs") return !caps.configs.empty();
  if (kind == "http") return caps.http;
  if (kind == "http-client") return caps.http_client;
  return false;
}

}  // namespace

Result<Ok, std::string> define_slight_imports(engine::Linker& linker, const engine::Module& module,
                                              const std::string& module_name, const ImportEnv& env) {
  Table t;
  add_keyvalue(t, env, "keyvalue");
  add_keyvalue(t, env, "kv");
  add_configs(t, env);
  add_http_server(t, env, "http-server");
  add_http_server(t, env, "http");
  add_http_client(t, env);
  add_resource(t, "keyvalue", &InstanceState::keyvalues);
  add_resource(t, "kv", &InstanceState::keyvalues);
  add_resource(t, "configs", &InstanceState::configs);
  add_resource(t, "router", &InstanceState::routers);
  add_resource(t, "server", &InstanceState::servers);

  const ir::Module& m = module.ir();
  for (const auto& imp : m.imports) {
    if (imp.module == "wasi_snapshot_preview1" || imp.module == "wasi_unstable") continue;  // WASI's linker
    std::string what = module_name + " imports " + imp.module + "." + imp.name;
    if (imp.kind != ir::ExternKind::Func || imp.func_type >= m.types.size())
      return fail(what + ", which is not a function slight provides");
    if (imp.module != "canonical_abi") {
      const char* kind = required_capability(imp.module);
      if (!kind) return fail(what + ": interface '" + imp.module + "' is not supported by wasipool slight");
      if (!granted(env.caps, kind))
        return fail(what + ", but " + env.caps.file->path + " declares no " + kind + " capability");
    }
    auto it = t.find({imp.module, imp.name});
    if (it == t.end()) return fail(what + ": no such function in slight's '" + imp.module + "' interface");
    if (!(m.types[imp.func_type] == it->second.type))
      return fail(what + ": its signature is not wit-bindgen 0.2's for this function");
    linker.define_function(imp.module, imp.name, it->second.type, it->second.fn);
  }
  return Ok{};
}

}  // namespace wasipool::slight
