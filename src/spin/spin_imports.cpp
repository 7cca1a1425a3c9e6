// Spin 1.x host interfaces for old-ABI core modules. The Rust SDK links every interface whether the app
// uses it or not (containerd-wasm-shims#58: "unknown import outbound-redis::publish"), so every import
// from a Spin module must resolve: known functions are implemented, the rest answer their interface's
// error value through the return area, with a log line saying what is missing.
//
// Results use wit-bindgen 0.2 `expected<T, E>` lowering into a guest-provided return area (the last
// parameter): tag u8 at +0 (0 ok, 1 err), payload at +4 (a u32, a bool byte, or ptr/len at +4/+8);
// an error variant is a tag u8 at +4 with a string payload at +8/+12.
#include <cstdio>
#include <mutex>
#include <set>

#include "canonical_abi.h"
#include "component.h"
#include "key_value.h"
#include "outbound_http.h"
#include "redis_client.h"

namespace wasipool::spin {

namespace {

using engine::Caller;
using engine::FuncType;
using engine::HostResult;
using engine::ValType;

const std::set<std::string> kSpinModules = {"wasi-outbound-http", "spin-config", "key-value", "outbound-redis",
                                            "outbound-pg", "outbound-mysql", "sqlite", "llm"};

FuncType i32s(size_t params, size_t results = 0) {
  FuncType t;
  t.params.assign(params, ValType::I32);
  t.results.assign(results, ValType::I32);
  return t;
}

uint32_t arg(std::span<const uint64_t> a, size_t i) { return static_cast<uint32_t>(a[i]); }

// key-value `error` variant cases (Spin 1.x wit/ephemeral/key-value.wit).
enum KvError : uint8_t { kStoreTableFull, kNoSuchStore, kAccessDenied, kInvalidStore, kNoSuchKey, kIo };

// spin-config `error` variant: provider(string), invalid-key(string), invalid-schema(string), other(string).
enum ConfigError : uint8_t { kProvider, kInvalidKey, kInvalidSchema, kOther };

// wasi-outbound-http `http-error` enum.
enum HttpError : uint8_t { kSuccess, kDestinationNotAllowed, kInvalidUrl, kRequestError, kRuntimeError, kTooManyRequests };

void warn_once(const std::string& what) {
  static std::mutex mu;
  static std::set<std::string> seen;
  std::lock_guard lock(mu);
  if (seen.insert(what).second) std::fprintf(stderr, "wasipool serve: %s\n", what.c_str());
}

struct Defs {
  engine::Linker& linker;
  const HostShared& host;
  const Component& comp;
};

// Store handles are the 1-based index of the label in the component's key_value_stores: a component can
// only ever name a store its manifest lists, and no per-instance table is needed.
std::optional<std::string> kv_label(const Component& c, uint32_t handle) {
  if (handle == 0 || handle > c.key_value_stores.size()) return std::nullopt;
  return c.key_value_stores[handle - 1];
}

bool define_known(Defs& d, const std::string& module, const std::string& name, const FuncType& type) {
  const Component* comp = &d.comp;
  const HostShared* host = &d.host;
  auto def = [&](const FuncType& want, engine::HostFunction fn) {
    if (!(type == want)) return false;  // a different signature falls back to the generic error stub
    d.linker.define_function(module, name, want, std::move(fn));
    return true;
  };
  if (module == "spin-config" && name == "get-config") {
    return def(i32s(3), [comp, host](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
      auto key = guest_string(c, arg(a, 0), arg(a, 1));
      if (!key) return engine::Trap::host("spin-config.get-config: key out of bounds");
      if (!comp->config.count(*key)) {
        std::string msg = "no config key '" + *key + "'";
        return write_err(c, arg(a, 2), kInvalidKey, &msg);
      }
      auto v = resolve_config(host->app, *comp, *key);
      if (!v) {
        std::string msg = "no value for required variable of key '" + *key + "'";
        return write_err(c, arg(a, 2), kProvider, &msg);
      }
      GuestMemory g(c.store(), c.instance());
      auto s = g.put_string(*v);
      if (!s) return engine::Trap::host("spin-config.get-config: " + g.last_error());
      return write_ok_slice(c, arg(a, 2), *s);
    });
  }
  if (module == "key-value") {
    KeyValue* kv = host->kv;
    auto with_store = [comp, kv](Caller& c, uint32_t handle, uint32_t ret, auto&& body) -> HostResult {
      auto label = kv_label(*comp, handle);
      if (!label || !kv) return write_err(c, ret, kInvalidStore);
      return body(*label);
    };
    auto io_err = [](Caller& c, uint32_t ret, const std::string& msg) { return write_err(c, ret, kIo, &msg); };
    if (name == "open")
      return def(i32s(3), [comp, kv](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        auto label = guest_string(c, arg(a, 0), arg(a, 1));
        if (!label) return engine::Trap::host("key-value.open: name out of bounds");
        // A component may open only the stores its manifest lists (key_value_stores).
        for (size_t i = 0; i < comp->key_value_stores.size(); ++i)
          if (comp->key_value_stores[i] == *label) {
            if (!kv) return write_err(c, arg(a, 2), kNoSuchStore);
            auto mem = c.memory();
            if (!mem.store<uint8_t>(arg(a, 2), 0) || !mem.store<uint32_t>(arg(a, 2) + 4ull, static_cast<uint32_t>(i + 1)))
              return engine::Trap::host("return area out of bounds");
            return std::nullopt;
          }
        return write_err(c, arg(a, 2), kAccessDenied);
      });
    if (name == "get")
      return def(i32s(4), [with_store, io_err, kv](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        uint32_t ret = arg(a, 3);
        return with_store(c, arg(a, 0), ret, [&](const std::string& store) -> HostResult {
          auto key = guest_string(c, arg(a, 1), arg(a, 2));
          if (!key) return engine::Trap::host("key-value.get: key out of bounds");
          auto v = kv->get(store, *key);
          if (!v.ok()) return io_err(c, ret, v.error());
          if (!*v) return write_err(c, ret, kNoSuchKey);
          GuestMemory g(c.store(), c.instance());
          auto s = g.put_bytes(**v, 1);
          if (!s) return engine::Trap::host("key-value.get: " + g.last_error());
          return write_ok_slice(c, ret, *s);
        });
      });
    if (name == "set")
      return def(i32s(6), [with_store, io_err, kv](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        uint32_t ret = arg(a, 5);
        return with_store(c, arg(a, 0), ret, [&](const std::string& store) -> HostResult {
          auto key = guest_string(c, arg(a, 1), arg(a, 2));
          auto val = guest_string(c, arg(a, 3), arg(a, 4));
          if (!key || !val) return engine::Trap::host("key-value.set: argument out of bounds");
          auto r = kv->set(store, *key, *val);
          if (!r.ok()) return io_err(c, ret, r.error());
          return write_ok_unit(c, ret);
        });
      });
    if (name == "delete")
      return def(i32s(4), [with_store, io_err, kv](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        uint32_t ret = arg(a, 3);
        return with_store(c, arg(a, 0), ret, [&](const std::string& store) -> HostResult {
          auto key = guest_string(c, arg(a, 1), arg(a, 2));
          if (!key) return engine::Trap::host("key-value.delete: key out of bounds");
          auto r = kv->remove(store, *key);
          if (!r.ok()) return io_err(c, ret, r.error());
          return write_ok_unit(c, ret);
        });
      });
    if (name == "exists")
      return def(i32s(4), [with_store, io_err, kv](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        uint32_t ret = arg(a, 3);
        return with_store(c, arg(a, 0), ret, [&](const std::string& store) -> HostResult {
          auto key = guest_string(c, arg(a, 1), arg(a, 2));
          if (!key) return engine::Trap::host("key-value.exists: key out of bounds");
          auto v = kv->get(store, *key);
          if (!v.ok()) return io_err(c, ret, v.error());
          auto mem = c.memory();
          if (!mem.store<uint8_t>(ret, 0) || !mem.store<uint8_t>(ret + 4ull, v->has_value() ? 1 : 0))
            return engine::Trap::host("return area out of bounds");
          return std::nullopt;
        });
      });
    if (name == "get-keys")
      return def(i32s(2), [with_store, io_err, kv](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        uint32_t ret = arg(a, 1);
        return with_store(c, arg(a, 0), ret, [&](const std::string& store) -> HostResult {
          auto keys = kv->keys(store);
          if (!keys.ok()) return io_err(c, ret, keys.error());
          GuestMemory g(c.store(), c.instance());
          auto s = g.put_strings(*keys);
          if (!s) return engine::Trap::host("key-value.get-keys: " + g.last_error());
          return write_ok_slice(c, ret, *s);
        });
      });
    if (name == "close")
      return def(i32s(1), [](Caller&, std::span<const uint64_t>, std::span<uint64_t>) -> HostResult { return std::nullopt; });
    return false;
  }
  if (module == "outbound-redis") {
    // enum error { success, error }: every failure is case 1. Results whose ok payload is an s64 put
    // the payload (and so the error byte) at +8, the others at +4.
    auto timeout = std::min<std::chrono::milliseconds>(host->options.request_timeout, std::chrono::milliseconds(10'000));
    auto run = [comp, timeout](Caller& c, std::span<const uint64_t> a, std::vector<std::string> cmd, uint32_t ret,
                               uint64_t err_at) -> std::optional<RedisReply> {
      auto addr = guest_string(c, arg(a, 0), arg(a, 1));
      std::string host;
      uint16_t port = 0;
      if (!addr || !parse_redis_address(*addr, host, port) || !outbound_allowed(*comp, "redis", host, port)) {
        std::fprintf(stderr, "wasipool serve: component '%s': redis address '%s' denied or invalid (allowed_outbound_hosts)\n",
                     comp->id.c_str(), addr ? addr->c_str() : "?");
        auto mem = c.memory();
        mem.store<uint8_t>(ret, 1), mem.store<uint8_t>(ret + err_at, 1);
        return std::nullopt;
      }
      auto r = redis_command(*addr, cmd, timeout);
      if (!r.ok() || r->kind == RedisReply::Kind::Error) {
        std::fprintf(stderr, "wasipool serve: component '%s': redis %s: %s\n", comp->id.c_str(), cmd[0].c_str(),
                     r.ok() ? r->str.c_str() : r.error().c_str());
        auto mem = c.memory();
        mem.store<uint8_t>(ret, 1), mem.store<uint8_t>(ret + err_at, 1);
        return std::nullopt;
      }
      return std::move(*r);
    };
    // list<string> argument: 8-byte elements (ptr, len), each checked.
    auto strings_at = [](Caller& c, uint32_t ptr, uint32_t len) -> std::optional<std::vector<std::string>> {
      std::vector<std::string> out;
      auto mem = c.memory();
      for (uint32_t i = 0; i < len; ++i) {
        auto p = mem.load<uint32_t>(ptr + 8ull * i), l = mem.load<uint32_t>(ptr + 8ull * i + 4);
        if (!p || !l) return std::nullopt;
        auto s = guest_string(c, *p, *l);
        if (!s) return std::nullopt;
        out.push_back(std::move(*s));
      }
      return out;
    };
    auto ok_int = [](Caller& c, uint32_t ret, const RedisReply& r) -> HostResult {
      auto mem = c.memory();
      if (!mem.store<uint8_t>(ret, 0) || !mem.store<int64_t>(ret + 8ull, r.integer))
        return engine::Trap::host("return area out of bounds");
      return std::nullopt;
    };
    if (name == "publish" || name == "set")
      return def(i32s(7), [run, name](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        auto k = guest_string(c, arg(a, 2), arg(a, 3)), v = guest_string(c, arg(a, 4), arg(a, 5));
        if (!k || !v) return engine::Trap::host("outbound-redis: argument out of bounds");
        auto r = run(c, a, {name == "set" ? "SET" : "PUBLISH", *k, *v}, arg(a, 6), 4);
        return r ? write_ok_unit(c, arg(a, 6)) : HostResult();
      });
    if (name == "get")
      return def(i32s(5), [run](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        auto k = guest_string(c, arg(a, 2), arg(a, 3));
        if (!k) return engine::Trap::host("outbound-redis: argument out of bounds");
        auto r = run(c, a, {"GET", *k}, arg(a, 4), 4);
        if (!r) return std::nullopt;
        GuestMemory g(c.store(), c.instance());
        auto s = g.put_bytes(r->kind == RedisReply::Kind::Bulk ? r->str : std::string(), 1);
        if (!s) return engine::Trap::host("outbound-redis.get: " + g.last_error());
        return write_ok_slice(c, arg(a, 4), *s);
      });
    if (name == "incr")
      return def(i32s(5), [run, ok_int](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        auto k = guest_string(c, arg(a, 2), arg(a, 3));
        if (!k) return engine::Trap::host("outbound-redis: argument out of bounds");
        auto r = run(c, a, {"INCR", *k}, arg(a, 4), 8);
        return r ? ok_int(c, arg(a, 4), *r) : HostResult();
      });
    if (name == "del")
      return def(i32s(5), [run, ok_int, strings_at](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        auto keys = strings_at(c, arg(a, 2), arg(a, 3));
        if (!keys) return engine::Trap::host("outbound-redis.del: keys out of bounds");
        std::vector<std::string> cmd = {"DEL"};
        cmd.insert(cmd.end(), keys->begin(), keys->end());
        auto r = run(c, a, cmd, arg(a, 4), 8);
        return r ? ok_int(c, arg(a, 4), *r) : HostResult();
      });
    if (name == "sadd" || name == "srem")
      return def(i32s(7), [run, ok_int, strings_at, name](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        auto k = guest_string(c, arg(a, 2), arg(a, 3));
        auto vals = strings_at(c, arg(a, 4), arg(a, 5));
        if (!k || !vals) return engine::Trap::host("outbound-redis: argument out of bounds");
        std::vector<std::string> cmd = {name == "sadd" ? "SADD" : "SREM", *k};
        cmd.insert(cmd.end(), vals->begin(), vals->end());
        auto r = run(c, a, cmd, arg(a, 6), 8);
        return r ? ok_int(c, arg(a, 6), *r) : HostResult();
      });
    if (name == "smembers")
      return def(i32s(5), [run](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
        auto k = guest_string(c, arg(a, 2), arg(a, 3));
        if (!k) return engine::Trap::host("outbound-redis: argument out of bounds");
        auto r = run(c, a, {"SMEMBERS", *k}, arg(a, 4), 4);
        if (!r) return std::nullopt;
        std::vector<std::string> members;
        for (const auto& e : r->elements) members.push_back(e.str);
        GuestMemory g(c.store(), c.instance());
        auto s = g.put_strings(members);
        if (!s) return engine::Trap::host("outbound-redis.smembers: " + g.last_error());
        return write_ok_slice(c, arg(a, 4), *s);
      });
    return false;  // execute: the generic error stub
  }
  if (module == "wasi-outbound-http" && name == "request") {
    return def(i32s(11), [comp, host](Caller& c, std::span<const uint64_t> a, std::span<uint64_t>) -> HostResult {
      uint32_t ret = arg(a, 10);
      auto req = lift_http_request_args(c, a, 0);
      if (!req.ok()) return engine::Trap::host("wasi-outbound-http.request: " + req.error());
      const std::string* uri = &req->uri;
      auto url = parse_outbound_url(*uri);
      if (!url) return write_err(c, ret, kInvalidUrl);
      if (!outbound_allowed(*comp, url->scheme, url->host, url->port)) {
        std::fprintf(stderr, "wasipool serve: component '%s': outbound request to %s denied (not in allowed_outbound_hosts)\n",
                     comp->id.c_str(), uri->c_str());
        return write_err(c, ret, kDestinationNotAllowed);
      }
      if (url->scheme == "https") {
        warn_once("component '" + comp->id + "': outbound https is not supported (no TLS); answering runtime-error");
        return write_err(c, ret, kRuntimeError);
      }
      OutboundRequest out;
      out.method = req->method < 7 ? kHttpMethods[req->method] : "GET";
      out.host = url->host;
      out.port = url->port;
      out.target = url->target;
      out.headers = std::move(req->headers);
      if (req->body) out.body = std::move(*req->body);
      auto resp = send_outbound(out, std::min<std::chrono::milliseconds>(host->options.request_timeout,
                                                                        std::chrono::milliseconds(10'000)),
                                host->options.max_stdout_bytes);
      if (!resp.ok()) {
        std::fprintf(stderr, "wasipool serve: component '%s': outbound request to %s failed: %s\n", comp->id.c_str(),
                     uri->c_str(), resp.error().c_str());
        return write_err(c, ret, kRequestError);
      }
      // ok(response): the response record at +4.
      GuestMemory g(c.store(), c.instance());
      if (auto w = write_http_response(g, ret + 4ull, *resp); !w.ok() || !c.memory().store<uint8_t>(ret, 0))
        return engine::Trap::host("wasi-outbound-http.request: " + (w.ok() ? std::string("return area out of bounds") : w.error()));
      return std::nullopt;
    });
  }
  return false;
}

// Any other Spin import: the interface's error through the return area (tag 1 = err, variant case 1,
// which in every Spin 1.x error type is a failure case; string payloads are left empty).
void define_generic(Defs& d, const std::string& module, const std::string& name, const FuncType& type) {
  std::string what = "component '" + d.comp.id + "': " + module + "." + name +
                     " is not available in wasipool; the guest gets the interface's error value";
  bool has_ret_area = type.results.empty() && type.params.size() >= 2 &&
                      type.params.back() == ValType::I32;
  d.linker.define_function(module, name, type,
                           [what, has_ret_area](Caller& c, std::span<const uint64_t> a, std::span<uint64_t> results) -> HostResult {
                             warn_once(what);
                             for (auto& r : results) r = 0;
                             if (!has_ret_area) return std::nullopt;
                             uint32_t ret = static_cast<uint32_t>(a.back());
                             auto mem = c.memory();
                             if (!mem.store<uint8_t>(ret, 1) || !mem.store<uint8_t>(ret + 4ull, 1) ||
                                 !mem.store<uint64_t>(ret + 8ull, 0))
                               return engine::Trap::host("return area out of bounds");
                             return std::nullopt;
                           });
}

}  // namespace

void define_spin_imports(engine::Linker& linker, const engine::Module& module, const HostShared& host,
                         const Component& component) {
  const ir::Module& m = module.ir();
  Defs d{linker, host, component};
  for (const auto& imp : m.imports) {
    if (imp.kind != ir::ExternKind::Func || !kSpinModules.count(imp.module)) continue;
    if (imp.func_type >= m.types.size()) continue;
    const FuncType& type = m.types[imp.func_type];
    if (!define_known(d, imp.module, imp.name, type)) define_generic(d, imp.module, imp.name, type);
  }
}

}  // namespace wasipool::spin
