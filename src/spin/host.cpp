// AppHost: component loading, routing, well-known endpoints and executor dispatch (see host.h).
#include "host.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "component.h"
#include "key_value.h"
#include "router.h"
#include "worker_pool.h"

namespace wasipool::spin {

namespace {

namespace fs = std::filesystem;

// The seven methods the Spin 1.x inbound-http `method` enum can carry.
bool spin_method(const std::string& m) {
  return m == "GET" || m == "POST" || m == "PUT" || m == "DELETE" || m == "PATCH" || m == "HEAD" || m == "OPTIONS";
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else o += c;
  }
  return o;
}

// Interfaces whose calls wait on another machine (outbound HTTP, redis, databases, inference): a guest
// importing one runs on the worker pool, so its waits never hold an I/O thread.
bool imports_network(const engine::Module& m) {
  static constexpr std::string_view kWaiting[] = {"wasi-outbound-http", "outbound-redis", "outbound-pg",
                                                  "outbound-mysql", "llm"};
  for (const auto& imp : m.ir().imports)
    for (auto w : kWaiting)
      if (imp.module == w) return true;
  return false;
}

class AppHostImpl final : public AppHost {
 public:
  AppHostImpl(const engine::Engine& engine, App app, HostOptions options)
      : app_(std::move(app)),
        router_(app_),
        shared_{engine, watchdog_, options, app_, nullptr, -1},
        pool_(options.workers ? options.workers : std::max(4u, 2 * std::max(1u, std::thread::hardware_concurrency())),
              options.max_queued) {}

  ~AppHostImpl() override {
    if (shared_.devnull >= 0) ::close(shared_.devnull);
    std::error_code ec;
    if (!staging_root_.empty()) fs::remove_all(staging_root_, ec);
  }

  Result<Ok, std::string> load() {
    for (const auto& w : router_.warnings()) std::fprintf(stderr, "wasipool serve: warning: %s\n", w.c_str());
    shared_.devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (shared_.devnull < 0) return fail(std::string("cannot open /dev/null"));
    bool any_kv = false;
    for (const auto& c : app_.components) any_kv |= !c.key_value_stores.empty();
    if (any_kv) {
      std::string dir = shared_.options.state_dir.empty() ? app_.manifest_dir + "/.spin" : shared_.options.state_dir;
      auto kv = KeyValue::open(dir);
      if (!kv.ok()) return fail(kv.error());
      kv_ = std::move(*kv);
      shared_.kv = kv_.get();
    }
    for (size_t i = 0; i < app_.components.size(); ++i) {
      const Component& comp = app_.components[i];
      auto rt = std::make_unique<ComponentRuntime>();
      rt->index = i;
      rt->component = &comp;
      auto mod = shared_.engine.load_file(comp.source);
      if (!mod.ok())
        return fail("component '" + comp.id + "': " + comp.source + ": " + std::string(engine::name_of(mod.error().kind)) +
                    ": " + mod.error().message);
      rt->module = std::move(*mod);
      define_spin_imports(rt->linker, *rt->module, shared_, comp);
      may_wait_.push_back(imports_network(*rt->module));
      wasi::add_to_linker(rt->linker, &current_wasi_context);
      if (auto staged = stage_files(comp); !staged.ok()) return fail(staged.error());
      else if (!staged->empty()) rt->preopens.push_back({*staged, "/", true});
      for (const auto& m : comp.dir_mounts) rt->preopens.push_back({m.host_dir, m.guest_path, true});
      for (const auto& [k, v] : comp.environment) rt->env.push_back(k + "=" + v);
      runtimes_.push_back(std::move(rt));
    }
    return Ok{};
  }

  const App& app() const override { return app_; }

  void handle(http::Request&& req, http::Reply reply) override {
    static constexpr std::string_view kWellKnown = "/.well-known/spin/";
    if (req.path.compare(0, kWellKnown.size(), kWellKnown) == 0) return reply(well_known(req));
    auto m = router_.match(req.path);
    if (!m) return reply(error_response(404, "Not Found\n"));
    const HttpRoute& route = app_.routes[m->route];
    if (route.executor.kind == ExecutorKind::Spin && !spin_method(req.method))
      return reply(error_response(405, "Method Not Allowed\n"));
    auto job = [this, req = std::move(req), m = std::move(*m), reply]() {
      http::Response resp;
      // A host bug or an allocation failure while serving one request must not take the server down.
      try {
        resp = execute(req, m);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "wasipool serve: internal error: %s\n", e.what());
        resp = error_response(500, "Internal Server Error\n");
      }
      reply(std::move(resp));
    };
    // Inline on a primary I/O thread unless the guest may wait on the network; a guest that runs long
    // anyway (a loop until its timeout) only makes the server bring in a spare I/O thread.
    unsigned limit = shared_.options.inline_guests;
    if (limit && !may_wait_[route.component] && http::on_primary_io_thread()) {
      if (inline_running_.fetch_add(1) < limit) {
        job();
        --inline_running_;
        return;
      }
      --inline_running_;
    }
    // submit() drops the job when the queue is full; the reply is then ours to send.
    if (!pool_.submit(std::move(job))) reply(error_response(503, "Service Unavailable: too many queued requests\n"));
  }

 private:
  http::Response execute(const http::Request& req, const RouteMatch& m) {
    const HttpRoute& route = app_.routes[m.route];
    const ComponentRuntime& rt = *runtimes_[route.component];
    SpinRequestInfo info;
    info.full_url = "http://" + (req.host.empty() ? std::string("localhost") : req.host) + req.path +
                    (req.query.empty() ? "" : "?" + req.query);
    info.path_info = m.path_info;
    info.matched_route = m.based_route;
    info.base_path = app_.base;
    info.raw_component_route = m.raw_route;
    info.component_route = m.component_route;
    info.client_addr = req.client_ip + ":" + std::to_string(req.client_port);
    if (route.executor.kind == ExecutorKind::Wagi) return run_wagi(shared_, rt, route.executor, req, m, info);
    return run_spin_http(shared_, rt, req, info);
  }

  http::Response well_known(const http::Request& req) {
    if (req.path == "/.well-known/spin/health") {
      http::Response r = error_response(200, "OK");
      return r;
    }
    if (req.path == "/.well-known/spin/info") {
      http::Response r;
      r.headers.push_back({"content-type", "application/json"});
      r.body = "{\"name\":\"" + json_escape(app_.name) + "\",\"version\":\"" + json_escape(app_.version) +
               "\",\"manifest_version\":" + std::to_string(app_.manifest_version) +
               ",\"host\":\"wasipool\",\"routes\":[";
      for (size_t i = 0; i < app_.routes.size(); ++i) {
        if (i) r.body += ",";
        r.body += "{\"route\":\"" + json_escape(app_.routes[i].route) + "\",\"component\":\"" +
                  json_escape(app_.components[app_.routes[i].component].id) + "\"}";
      }
      r.body += "]}";
      return r;
    }
    return error_response(404, "Not Found\n");
  }

  // Copies the component's `files` into a private directory that becomes its read-only "/": the guest
  // then sees exactly the files the manifest names, never their neighbours.
  Result<std::string, std::string> stage_files(const Component& c) {
    if (c.files.empty()) return std::string();
    std::error_code ec;
    if (staging_root_.empty()) {
      std::string tmpl = (fs::temp_directory_path(ec) / "wasipool-spin-XXXXXX").string();
      if (!::mkdtemp(tmpl.data())) return fail("cannot create a staging directory for component files");
      staging_root_ = tmpl;
    }
    fs::path dir = fs::path(staging_root_) / c.id;
    fs::create_directories(dir, ec);
    for (const auto& f : c.files) {
      fs::path to = dir / f.guest_rel;
      fs::create_directories(to.parent_path(), ec);
      fs::copy_file(f.host_path, to, fs::copy_options::overwrite_existing, ec);
      if (ec) return fail("component '" + c.id + "': cannot stage '" + f.host_path + "': " + ec.message());
    }
    return dir.string();
  }

  App app_;
  Router router_;
  Watchdog watchdog_;
  HostShared shared_;
  std::unique_ptr<KeyValue> kv_;
  std::vector<std::unique_ptr<ComponentRuntime>> runtimes_;
  std::string staging_root_;
  std::atomic<unsigned> inline_running_{0};
  std::vector<bool> may_wait_;  // per component: imports an interface that waits on the network
  WorkerPool pool_;  // last: destroyed first, so running jobs never see the members above go away
};

thread_local wasi::Context* tl_wasi_context = nullptr;

}  // namespace

wasi::Context* current_wasi_context() { return tl_wasi_context; }
WasiContextScope::WasiContextScope(wasi::Context* ctx) : previous_(tl_wasi_context) { tl_wasi_context = ctx; }
WasiContextScope::~WasiContextScope() { tl_wasi_context = previous_; }

http::Response error_response(uint16_t status, std::string body) {
  http::Response r;
  r.status = status;
  r.headers.push_back({"content-type", "text/plain"});
  r.body = std::move(body);
  return r;
}

Result<std::unique_ptr<AppHost>, std::string> make_app_host(const engine::Engine& engine, App app,
                                                            HostOptions options) {
  if (app.trigger_type != "http") return fail("only the http trigger is supported (this app uses '" + app.trigger_type + "')");
  auto host = std::make_unique<AppHostImpl>(engine, std::move(app), options);
  if (auto r = host->load(); !r.ok()) return fail(r.error());
  return std::unique_ptr<AppHost>(std::move(host));
}

}  // namespace wasipool::spin
