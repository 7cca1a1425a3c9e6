// The Spin 1.x executor for core modules built with the old canonical ABI (wit-bindgen 0.2 era):
// the request is lowered into guest memory through the guest's own canonical_abi_realloc, the export
// `handle-http-request` takes 10 i32 and returns a pointer to a 28-byte result record:
//   +0 status u16 | +4 headers option tag u8, +8 ptr, +12 len (16-byte elements: name ptr/len, value ptr/len)
//   | +16 body option tag u8, +20 ptr, +24 len
// Every pointer and length the guest returns is checked against its memory before it is read.
#include <cctype>
#include <cstdio>

#include "canonical_abi.h"
#include "component.h"

namespace wasipool::spin {

namespace {

http::Response guest_failure(const ComponentRuntime& c, bool timed_out, const std::string& why) {
  std::fprintf(stderr, "wasipool serve: component '%s': %s\n", c.component->id.c_str(), why.c_str());
  return timed_out ? error_response(504, "Gateway Timeout\n") : error_response(500, "Internal Server Error\n");
}

}  // namespace

http::Response run_spin_http(const HostShared& host, const ComponentRuntime& c, const http::Request& req,
                             const SpinRequestInfo& info) {
  wasi::Config cfg;
  cfg.args = {c.component->id};
  cfg.env = c.env;
  cfg.preopens = c.preopens;
  cfg.stdin_fd = host.devnull;
  cfg.stdout_fd = 1;
  cfg.stderr_fd = 2;
  auto ctx = wasi::make_context(std::move(cfg));
  if (!ctx.ok()) return error_response(500, "WASI context: " + ctx.error() + "\n");

  // Declared before the store: the scope must outlast every call into the guest.
  WasiContextScope wasi_scope(ctx->get());
  engine::Store store(host.engine);
  const engine::Linker& linker = c.linker;
  uint64_t arm = host.watchdog.arm(store.interrupt_handle(), Watchdog::Clock::now() + host.options.request_timeout);
  struct Disarm {
    Watchdog& w;
    uint64_t id;
    bool fired = false, done = false;
    bool now() {
      if (!done) fired = w.disarm(id), done = true;
      return fired;
    }
    ~Disarm() { now(); }
  } disarm{host.watchdog, arm};

  auto inst = linker.instantiate(store, c.module);
  if (!inst.ok()) return guest_failure(c, disarm.now(), inst.error().message);
  engine::Instance* instance = *inst;
  auto handler = instance->get_func("handle-http-request");
  if (!handler) return guest_failure(c, false, "no export 'handle-http-request'");
  if (auto init = instance->get_func("_initialize")) {
    auto r = store.call(*init, {});
    if (!r.ok()) return guest_failure(c, disarm.now(), "_initialize: " + r.error().message);
  }
  GuestMemory g(store, instance);
  if (!g.ok()) return guest_failure(c, false, "the module must export 'memory' and 'canonical_abi_realloc'");

  // Lower the request record. The guest sees the path and query (not the absolute URL), every client
  // header plus the spin-* headers, no params, and the body when there is one.
  std::vector<std::pair<std::string, std::string>> headers;
  // Header names reach the guest in lower case, as Spin's header map (http::HeaderMap) delivers them.
  for (const auto& h : req.headers) {
    std::string name = h.name;
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    headers.emplace_back(std::move(name), h.value);
  }
  headers.emplace_back("spin-full-url", info.full_url);
  headers.emplace_back("spin-path-info", info.path_info);
  headers.emplace_back("spin-matched-route", info.matched_route);
  headers.emplace_back("spin-base-path", info.base_path);
  headers.emplace_back("spin-raw-component-route", info.raw_component_route);
  headers.emplace_back("spin-component-route", info.component_route);
  headers.emplace_back("spin-client-addr", info.client_addr);

  auto args = lower_http_request(g, http_method_index(req.method).value_or(0), req.target, headers, {},
                                 req.body.empty() ? nullptr : &req.body);
  if (!args.ok()) return guest_failure(c, disarm.now(), args.error());
  auto result = store.call(*handler, *args);
  bool timed_out = disarm.now();
  if (!result.ok()) {
    const engine::Trap& t = result.error();
    return guest_failure(c, timed_out && t.kind == engine::TrapKind::Interrupted,
                         t.message.empty() ? engine::default_message(t.kind) : t.message);
  }
  if (result->size() != 1) return guest_failure(c, false, "handle-http-request must return one i32");
  uint32_t ret = (*result)[0].as_u32();

  auto resp = lift_http_response(g.view(), ret);
  if (!resp.ok()) return guest_failure(c, false, resp.error());
  return std::move(*resp);
}

}  // namespace wasipool::spin
