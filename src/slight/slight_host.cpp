// SlightHost: capability resolution, the app lifecycle, servers and per-request dispatch (see slight_host.h).
#include "slight_host.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "http/server.h"
#include "runtime.h"
#include "spin/canonical_abi.h"
#include "spin/component.h"
#include "spin/worker_pool.h"

namespace wasipool::slight {

namespace {

thread_local InstanceState* tl_instance = nullptr;

// Resources the host implements, by the name a slightfile gives them (0.1 names included).
const char* const kSupported = "http, http-client, keyvalue.filesystem, keyvalue.redis, kv.filesystem, kv.redis, configs.envvars";

std::string trap_text(const engine::Trap& t) {
  return t.message.empty() ? engine::default_message(t.kind) : t.message;
}

// "host:port" as slight accepts it (a name, an IPv4 address or "[v6]") -> the numeric "IP:PORT" the
// HTTP server binds.
Result<std::string, std::string> resolve_listen(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size())
    return fail("address '" + address + "' has no port (expected host:port)");
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return fail("address '" + address + "': invalid port");
  if (host.empty()) host = "0.0.0.0";
  if (host.front() == '[') return address;  // IPv6 literal: the server parses it
  in_addr a4{};
  if (::inet_pton(AF_INET, host.c_str(), &a4) == 1) return host + ":" + port;
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res)
    return fail("address '" + address + "': cannot resolve '" + host + "'");
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
  ::freeaddrinfo(res);
  return std::string(buf) + ":" + port;
}

std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    if (j > i) out.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// routerify-style matching: literal segments, ":name" captures one segment into params, a final "*"
// takes the rest. A trailing '/' on the request does not matter.
bool match_route(const std::string& pattern, const std::string& path, spin::HeaderPairs& params) {
  auto ps = split_path(pattern), rs = split_path(path);
  params.clear();
  for (size_t i = 0; i < ps.size(); ++i) {
    if (ps[i] == "*" && i + 1 == ps.size()) {
      std::string rest;
      for (size_t j = i; j < rs.size(); ++j) rest += (j > i ? "/" : "") + rs[j];
      params.emplace_back("*", rest);
      return true;
    }
    if (i >= rs.size()) return false;
    if (ps[i].size() > 1 && ps[i][0] == ':') params.emplace_back(ps[i].substr(1), rs[i]);
    else if (ps[i] != rs[i]) return false;
  }
  return ps.size() == rs.size();
}

struct ServerEntry {
  std::vector<Route> routes;
  std::unique_ptr<http::Server> server;
  std::thread thread;
  bool done = false;  // guarded by Host::mu_
};

class Host final : public SlightHost, public ServerControl {
 public:
  Host(const engine::Engine& engine, SlightFile file, std::string module_path, HostOptions options)
      : engine_(engine),
        file_(std::move(file)),
        module_path_(std::move(module_path)),
        module_name_(std::filesystem::path(module_path_).filename().string()),
        options_(std::move(options)),
        env_{caps_, config_store_, *this},
        pool_(options_.workers ? options_.workers : std::max(4u, 2 * std::max(1u, std::thread::hardware_concurrency())),
              options_.max_queued) {}

  ~Host() override {
    stop_all();
    join_all();
    if (devnull_ >= 0) ::close(devnull_);
  }

  Result<Ok, std::string> load() {
    caps_.file = &file_;
    if (file_.secret_store && *file_.secret_store != "configs.envvars" && *file_.secret_store != "configs.local")
      return fail(where(file_, file_.secret_store_line) + ": secret store " + printable(*file_.secret_store) +
                  " is not supported (wasipool supports configs.envvars and configs.local)");
    std::string kv_base = options_.state_dir.empty() ? file_.dir + "/.slight/keyvalue" : options_.state_dir;
    for (const auto& c : file_.capabilities) {
      const std::string& r = c.resource;
      if (r == "http") {
        caps_.http = true;
      } else if (r == "http-client") {
        caps_.http_client = true;
      } else if (r == "keyvalue.filesystem" || r == "kv.filesystem") {
        caps_.keyvalue.push_back({&c, make_filesystem_kv(kv_base)});
      } else if (r == "keyvalue.redis" || r == "kv.redis") {
        auto addr = config_value(c, "REDIS_ADDRESS");
        if (!addr.ok()) return fail(where(file_, c.line) + ": " + r + " '" + printable(c.name) + "': " + printable(addr.error()));
        auto kv = make_redis_kv(*addr, std::min(options_.request_timeout, std::chrono::milliseconds(10'000)));
        if (!kv.ok()) return fail(where(file_, c.line) + ": " + r + " '" + printable(c.name) + "': REDIS_ADDRESS: " + printable(kv.error()));
        caps_.keyvalue.push_back({&c, std::move(*kv)});
      } else if (r == "configs.envvars") {
        caps_.configs.push_back(&c);
      } else {
        return fail(where(file_, c.line) + ": capability " + printable(r) + " is not supported (wasipool supports " + kSupported + ")");
      }
    }
    devnull_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull_ < 0) return fail(std::string("cannot open /dev/null"));
    auto mod = engine_.load_file(module_path_);
    if (!mod.ok())
      return fail(module_path_ + ": " + std::string(engine::name_of(mod.error().kind)) + ": " + mod.error().message);
    module_ = std::move(*mod);
    env_.outbound_timeout = std::min(options_.request_timeout, std::chrono::milliseconds(10'000));
    if (auto d = define_slight_imports(linker_, *module_, module_name_, env_); !d.ok()) return fail(d.error());
    wasi::add_to_linker(linker_, &current_wasi);
    const ir::Module& m = module_->ir();
    bool has_start = false, has_init = false;
    for (const auto& e : m.exports) {
      has_start |= e.name == "_start";
      has_init |= e.name == "on-server-init";
    }
    if (!has_start && !has_init) return fail(module_name_ + " exports neither _start nor on-server-init");
    return Ok{};
  }

  int run() override {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    // The signal thread owns SIGINT/SIGTERM (blocked everywhere else): it interrupts the main guest
    // call if it is still running, and stops every server so run() can drain and return.
    std::atomic<bool> finished{false};
    std::thread signals([this, &set, &finished] {
      int sig = 0;
      ::sigwait(&set, &sig);
      if (finished.load()) return;
      std::fprintf(stderr, "wasipool slight: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
      {
        std::lock_guard lock(mu_);
        signalled_ = true;
        if (main_interrupt_) main_interrupt_->interrupt();
      }
      stop_all();
      cv_.notify_all();
    });
    int code = run_main_instance();
    if (code == 0) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return signalled_ || all_servers_done(); });
    }
    stop_all();
    join_all();
    finished = true;
    ::pthread_kill(signals.native_handle(), SIGTERM);  // wakes sigwait if no signal came
    signals.join();
    return code;
  }

  // ServerControl
  Result<size_t, std::string> serve(const std::string& address, const RouterResource& router) override {
    auto listen = resolve_listen(address);
    if (!listen.ok()) return fail(listen.error());
    auto entry = std::make_unique<ServerEntry>();
    entry->routes = router.routes;
    ServerEntry* e = entry.get();
    http::ServerOptions so;
    so.listen = *listen;
    so.handle_signals = false;  // run()'s signal thread owns SIGINT/SIGTERM
    so.max_body_bytes = options_.max_body_bytes;
    so.threads = 2;
    auto server = http::Server::create(so, [this, e](http::Request&& req, http::Reply reply) {
      dispatch(*e, std::move(req), std::move(reply));
    });
    if (!server.ok()) return fail(server.error());
    entry->server = std::move(*server);
    std::printf("Serving http://%s\n", entry->server->local_address().c_str());
    for (const auto& r : entry->routes) std::printf("  %-6s %s -> %s\n", r.method.c_str(), r.path.c_str(), export_name(r).c_str());
    std::fflush(stdout);
    std::lock_guard lock(mu_);
    if (signalled_ || stopping_) {  // shutting down: a server started now would never be joined
      entry->server->stop();
      entry->done = true;
    } else {
      entry->thread = std::thread([this, e] {
        e->server->run();
        std::lock_guard l(mu_);
        e->done = true;
        cv_.notify_all();
      });
    }
    servers_.push_back(std::move(entry));
    return servers_.size() - 1;
  }

  void stop(size_t server) override {
    std::lock_guard lock(mu_);
    if (server < servers_.size() && servers_[server]->server) servers_[server]->server->stop();
  }

 private:
  static std::string export_name(const Route& r) {
    std::string n = r.handler;
    for (auto& c : n)
      if (c == '_') c = '-';
    return n;
  }

  // A capability config value: a literal, or "${envvars.NAME}" / "${local.VALUE}" (slight's
  // "${store.key}" references); without the key, the secret store (configs.envvars) is asked.
  Result<std::string, std::string> config_value(const Capability& c, const std::string& key) {
    auto it = c.configs.find(key);
    if (it == c.configs.end()) {
      if (file_.secret_store == "configs.envvars") {
        if (const char* v = std::getenv(key.c_str())) return std::string(v);
        return fail("config " + key + " is not in [capability.configs] nor in the environment (secret_store)");
      }
      return fail("missing config " + key + " in [capability.configs]");
    }
    const std::string& v = it->second;
    if (v.size() > 3 && v.compare(0, 2, "${") == 0 && v.back() == '}') {
      std::string ref = v.substr(2, v.size() - 3);
      size_t dot = ref.find('.');
      if (dot == std::string::npos) return fail(key + " = \"" + v + "\": expected ${store.key}");
      std::string store = ref.substr(0, dot), name = ref.substr(dot + 1);
      if (store == "envvars") {
        if (const char* e = std::getenv(name.c_str())) return std::string(e);
        return fail(key + " = \"" + v + "\": environment variable " + name + " is not set");
      }
      if (store == "local") return name;
      return fail(key + " = \"" + v + "\": config store configs." + store + " is not supported");
    }
    return v;
  }

  bool all_servers_done() const {
    for (const auto& s : servers_)
      if (!s->done) return false;
    return true;
  }

  void stop_all() {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& s : servers_)
      if (s->server) s->server->stop();
  }

  void join_all() {
    std::vector<std::thread*> threads;
    {
      std::lock_guard lock(mu_);
      for (auto& s : servers_)
        if (s->thread.joinable()) threads.push_back(&s->thread);
    }
    for (auto* t : threads) t->join();
  }

  Result<std::unique_ptr<wasi::Context>, std::string> make_wasi(bool inherit_stdin) {
    wasi::Config cfg;
    cfg.args = {module_name_};
    // The app sees its own directory (the slightfile's: the container rootfs under the shim) as ".",
    // read-only: it may read files shipped with it but never rewrite itself or its slightfile.
    cfg.preopens.push_back({file_.dir, ".", true});
    cfg.stdin_fd = inherit_stdin ? 0 : devnull_;
    return wasi::make_context(std::move(cfg));
  }

  int run_main_instance() {
    auto ctx = make_wasi(true);
    if (!ctx.ok()) {
      std::fprintf(stderr, "wasipool slight: %s\n", ctx.error().c_str());
      return 1;
    }
    InstanceState st;
    st.wasi = ctx->get();
    InstanceScope scope(&st);
    engine::Store store(engine_);
    {
      std::lock_guard lock(mu_);
      if (signalled_) return 0;
      main_interrupt_.emplace(store.interrupt_handle());
    }
    struct Clear {
      Host* h;
      ~Clear() {
        std::lock_guard lock(h->mu_);
        h->main_interrupt_.reset();
      }
    } clear{this};
    auto inst = linker_.instantiate(store, module_);
    if (!inst.ok()) {
      std::fprintf(stderr, "wasipool slight: %s: %s\n", module_name_.c_str(), inst.error().message.c_str());
      return 1;
    }
    engine::Instance* instance = *inst;
    auto finish = [&](const engine::CallResult& r, const char* what) -> std::optional<int> {
      if (r.ok()) return std::nullopt;
      const engine::Trap& t = r.error();
      if (t.kind == engine::TrapKind::Exit) return t.exit_code;
      {
        std::lock_guard lock(mu_);
        if (signalled_ && t.kind == engine::TrapKind::Interrupted) return 0;
      }
      std::fprintf(stderr, "wasipool slight: %s: %s\n", what, trap_text(t).c_str());
      return 1;
    };
    auto init = instance->get_func("on-server-init");
    if (caps_.http && init) {
      // slight v0.5: the app registers its routes in on-server-init: func() -> expected<unit, string>.
      if (auto fn = instance->get_func("_initialize")) {
        if (auto c = finish(store.call(*fn, {}), "_initialize")) return *c;
      }
      auto r = store.call(*init, {});
      if (auto c = finish(r, "on-server-init")) return *c;
      if (r->size() != 1) {
        std::fprintf(stderr, "wasipool slight: on-server-init must return one i32 (a result pointer)\n");
        return 1;
      }
      auto mem = spin::GuestMemory(store, instance).view();
      uint32_t ret = (*r)[0].as_u32();
      auto tag = mem.load<uint8_t>(ret);
      if (!tag || *tag > 1) {
        std::fprintf(stderr, "wasipool slight: on-server-init returned an invalid result\n");
        return 1;
      }
      if (*tag == 1) {
        auto p = mem.load<uint32_t>(ret + 4ull), l = mem.load<uint32_t>(ret + 8ull);
        auto b = p && l ? mem.bytes(*p, *l) : std::nullopt;
        std::fprintf(stderr, "wasipool slight: on-server-init failed: %s\n",
                     b ? std::string(b->begin(), b->end()).c_str() : "(error text out of bounds)");
        return 1;
      }
      return 0;
    }
    auto start = instance->get_func("_start");
    if (!start) {
      std::fprintf(stderr, "wasipool slight: %s exports on-server-init but the slightfile has no http capability, "
                           "and no _start\n", module_name_.c_str());
      return 1;
    }
    if (auto c = finish(store.call(*start, {}), "_start")) return *c;
    return 0;
  }

  void dispatch(const ServerEntry& server, http::Request&& req, http::Reply reply) {
    const Route* route = nullptr;
    spin::HeaderPairs params;
    for (const auto& r : server.routes)
      if (r.method == req.method && match_route(r.path, req.path, params)) {
        route = &r;
        break;
      }
    if (!route) return reply(spin::error_response(404, "Not Found\n"));
    auto job = [this, route, params = std::move(params), req = std::move(req), reply]() {
      http::Response resp;
      // A host bug or an allocation failure while serving one request must not take the server down.
      try {
        resp = execute(*route, params, req);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "wasipool slight: internal error: %s\n", e.what());
        resp = spin::error_response(500, "Internal Server Error\n");
      }
      // slight enables CORS for every route (routerify_cors::enable_cors_all).
      bool has_cors = false;
      for (const auto& h : resp.headers) has_cors |= strcasecmp(h.name.c_str(), "access-control-allow-origin") == 0;
      if (!has_cors) resp.headers.push_back({"access-control-allow-origin", "*"});
      reply(std::move(resp));
    };
    if (!pool_.submit(std::move(job))) reply(spin::error_response(503, "Service Unavailable: too many queued requests\n"));
  }

  http::Response failure(const Route& r, bool timed_out, const std::string& why) {
    std::fprintf(stderr, "wasipool slight: %s %s (%s): %s\n", r.method.c_str(), r.path.c_str(), export_name(r).c_str(),
                 why.c_str());
    return timed_out ? spin::error_response(504, "Gateway Timeout\n") : spin::error_response(500, "Internal Server Error\n");
  }

  // One request = one fresh instance (slight builds a new store and instance per request too): nothing
  // a handler leaves in memory reaches the next request.
  http::Response execute(const Route& route, const spin::HeaderPairs& params, const http::Request& req) {
    auto ctx = make_wasi(false);
    if (!ctx.ok()) return failure(route, false, ctx.error());
    InstanceState st;
    st.wasi = ctx->get();
    InstanceScope scope(&st);
    engine::Store store(engine_);
    uint64_t armed = watchdog_.arm(store.interrupt_handle(), spin::Watchdog::Clock::now() + options_.request_timeout);
    bool fired = false, disarmed = false;
    auto disarm = [&] {
      if (!disarmed) fired = watchdog_.disarm(armed), disarmed = true;
      return fired;
    };
    struct Guard {
      std::function<bool()> f;
      ~Guard() { f(); }
    } guard{disarm};
    auto inst = linker_.instantiate(store, module_);
    if (!inst.ok()) return failure(route, disarm(), inst.error().message);
    engine::Instance* instance = *inst;
    if (auto init = instance->get_func("_initialize")) {
      auto r = store.call(*init, {});
      if (!r.ok()) return failure(route, disarm(), "_initialize: " + trap_text(r.error()));
    }
    std::string name = export_name(route);
    auto handler = instance->get_func(name);
    if (!handler) return failure(route, false, "the module has no export '" + name + "'");
    spin::GuestMemory g(store, instance);
    if (!g.ok()) return failure(route, false, "the module must export 'memory' and 'canonical_abi_realloc'");
    spin::HeaderPairs headers;
    // Header names reach the guest in lower case, as hyper's HeaderMap hands them to slight.
    for (const auto& h : req.headers) {
      std::string n = h.name;
      for (auto& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      headers.emplace_back(std::move(n), h.value);
    }
    // slight always passes Some(body), empty when the request has none.
    auto args = spin::lower_http_request(g, spin::http_method_index(req.method).value_or(0), req.target, headers,
                                         params, &req.body);
    if (!args.ok()) return failure(route, disarm(), args.error());
    auto result = store.call(*handler, *args);
    bool timed_out = disarm();
    if (!result.ok())
      return failure(route, timed_out && result.error().kind == engine::TrapKind::Interrupted, trap_text(result.error()));
    if (result->size() != 1) return failure(route, false, name + " must return one i32 (a result pointer)");
    // expected<response, http-error>: tag u8 @0; ok: the response record @4; err: variant tag @4,
    // payload @8 (a string ptr/len, or status-error's u16).
    uint32_t ret = (*result)[0].as_u32();
    auto mem = g.view();
    auto tag = mem.load<uint8_t>(ret);
    if (!tag || *tag > 1) return failure(route, false, "invalid result tag");
    if (*tag == 0) {
      auto resp = spin::lift_http_response(mem, ret + 4ull);
      if (!resp.ok()) return failure(route, false, resp.error());
      return std::move(*resp);
    }
    auto etag = mem.load<uint8_t>(ret + 4ull);
    if (etag && *etag == 3) {  // status-error(u16): answer with that status
      auto status = mem.load<uint16_t>(ret + 8ull);
      if (status && *status >= 100 && *status <= 599) return spin::error_response(*status, http::reason_phrase(*status) + "\n");
    }
    auto p = mem.load<uint32_t>(ret + 8ull), l = mem.load<uint32_t>(ret + 12ull);
    auto b = p && l ? mem.bytes(*p, *l) : std::nullopt;
    std::string msg = b ? std::string(b->begin(), b->end()) : std::string("(error text out of bounds)");
    std::fprintf(stderr, "wasipool slight: %s returned an error: %s\n", name.c_str(), msg.c_str());
    return spin::error_response(500, msg + "\n");
  }

  const engine::Engine& engine_;
  SlightFile file_;
  std::string module_path_, module_name_;
  HostOptions options_;
  Capabilities caps_;
  ConfigStore config_store_;
  ImportEnv env_;
  engine::Linker linker_;
  std::shared_ptr<const engine::Module> module_;
  int devnull_ = -1;
  spin::Watchdog watchdog_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool signalled_ = false;
  bool stopping_ = false;  // stop_all() ran: no new server threads
  std::optional<engine::InterruptHandle> main_interrupt_;
  std::vector<std::unique_ptr<ServerEntry>> servers_;
  spin::WorkerPool pool_;  // last: destroyed first, so running jobs never see the members above go away
};

}  // namespace

InstanceState* current_instance() { return tl_instance; }
wasi::Context* current_wasi() { return tl_instance ? tl_instance->wasi : nullptr; }
InstanceScope::InstanceScope(InstanceState* s) : previous_(tl_instance) { tl_instance = s; }
InstanceScope::~InstanceScope() { tl_instance = previous_; }

std::optional<std::string> ConfigStore::get(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    if (auto it = overlay_.find(key); it != overlay_.end()) return it->second;
  }
  if (const char* v = std::getenv(key.c_str())) return std::string(v);
  return std::nullopt;
}

void ConfigStore::set(const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  overlay_[key] = value;
}

Result<std::unique_ptr<SlightHost>, std::string> load_slight_app(const engine::Engine& engine, SlightFile file,
                                                                 const std::string& module_path,
                                                                 HostOptions options) {
  auto host = std::make_unique<Host>(engine, std::move(file), module_path, std::move(options));
  if (auto r = host->load(); !r.ok()) return fail(r.error());
  return std::unique_ptr<SlightHost>(std::move(host));
}

}  // namespace wasipool::slight
