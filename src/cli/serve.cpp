// `wasipool serve [OPTIONS] [spin.toml | DIR]` (owner: spin): load a Spin application manifest and serve
// its HTTP trigger until SIGINT/SIGTERM (in-flight requests finish first). Exit status: 0 after a
// graceful stop, 1 when the app cannot be loaded or the address cannot be bound, 2 for a bad command line.
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "commands.h"
#include "number_option.h"
#include "http/server.h"
#include "spin/app.h"
#include "spin/host.h"

namespace wasipool::cli {

namespace {

void serve_usage(FILE* out) {
  std::fputs(
      "usage: wasipool serve [OPTIONS] [spin.toml | DIR]\n"
      "  --listen ADDR         address to serve on (default $SPIN_HTTP_LISTEN_ADDR, else 127.0.0.1:3000)\n"
      "  --timeout SECS        per-request guest time limit (default 30); beyond it: 504\n"
      "  --max-memory MIB      per-instance linear memory limit (default 256)\n"
      "  --workers N           guest worker threads (default max(4, 2 x cores))\n"
      "  --threads N           HTTP I/O threads (default one per core, at least 2)\n"
      "  --max-queue N         requests waiting for a worker (default 4096); beyond it: 503\n"
      "  --state-dir DIR       key-value databases (default <app dir>/.spin)\n"
      "  --max-body BYTES      request body limit (default 16 MiB); beyond it: 413\n"
      "  --max-output BYTES    WAGI stdout limit (default 16 MiB); beyond it the guest's writes fail\n"
      "  --read-timeout SECS   time a client has to send a whole request (default 30)\n"
      "  --idle-timeout SECS   keep-alive wait for the next request (default 60)\n"
      "  --quiet               do not print the route table\n",
      out);
}

}  // namespace

int serve_main(int argc, char** argv) {
  // A guest writing to a closed stdout (or a peer gone mid-write) must cost an EPIPE, not the server.
  ::signal(SIGPIPE, SIG_IGN);
  http::ServerOptions server_opts;
  if (const char* env = std::getenv("SPIN_HTTP_LISTEN_ADDR"); env && *env) server_opts.listen = env;
  spin::HostOptions host_opts;
  uint32_t max_memory_mib = 256;
  bool quiet = false;
  std::string manifest = "spin.toml";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "wasipool serve: error: %s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    double num = 0;
    if (a == "-h" || a == "--help") {
      serve_usage(stdout);
      return 0;
    } else if (a == "--listen") {
      const char* v = value("--listen");
      if (!v) return 2;
      server_opts.listen = v;
    } else if (a == "--timeout" || a == "--max-memory" || a == "--workers" || a == "--threads" || a == "--max-body" ||
               a == "--max-output" || a == "--read-timeout" || a == "--idle-timeout" ||
               a == "--max-queue") {
      const char* v = value(a.c_str());
      if (!v) return 2;
      if (!parse_number(v, num)) {
        std::fprintf(stderr, "wasipool serve: error: %s: '%s' is not a number\n", a.c_str(), v);
        return 2;
      }
      if (a == "--timeout") host_opts.request_timeout = std::chrono::milliseconds(static_cast<int64_t>(num * 1000));
      if (a == "--max-memory") max_memory_mib = static_cast<uint32_t>(num);
      if (a == "--workers") host_opts.workers = static_cast<unsigned>(num);
      if (a == "--threads") server_opts.threads = static_cast<unsigned>(num);
      if (a == "--max-body") server_opts.max_body_bytes = static_cast<uint64_t>(num);
      if (a == "--max-queue") host_opts.max_queued = static_cast<size_t>(num);
      if (a == "--max-output") host_opts.max_stdout_bytes = static_cast<uint64_t>(num);
      if (a == "--read-timeout") server_opts.read_timeout = std::chrono::milliseconds(static_cast<int64_t>(num * 1000));
      if (a == "--idle-timeout") server_opts.idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(num * 1000));
    } else if (a == "--state-dir") {
      const char* v = value("--state-dir");
      if (!v) return 2;
      host_opts.state_dir = v;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "wasipool serve: error: unknown option '%s'\n", a.c_str());
      serve_usage(stderr);
      return 2;
    } else {
      manifest = a;
    }
  }
  struct stat st {};
  if (::stat(manifest.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) manifest += "/spin.toml";

  // I/O threads: one per core (at least two); each may also run guests inline (see HostOptions).
  if (!server_opts.threads) server_opts.threads = std::max(2u, std::thread::hardware_concurrency());
  host_opts.inline_guests = server_opts.threads;

  auto app = spin::load_manifest(manifest);
  if (!app.ok()) {
    std::fprintf(stderr, "wasipool serve: error: %s\n", app.error().c_str());
    return 1;
  }
  engine::EngineConfig cfg;
  // 64 KiB pages; the cap bounds what one request can make the host allocate.
  cfg.limits.max_memory_pages = std::max<uint32_t>(1, max_memory_mib * 16);
  engine::Engine engine(cfg);
  auto host = spin::make_app_host(engine, std::move(*app), host_opts);
  if (!host.ok()) {
    std::fprintf(stderr, "wasipool serve: error: %s\n", host.error().c_str());
    return 1;
  }
  spin::AppHost* h = host->get();
  auto server = http::Server::create(server_opts, [h](http::Request&& req, http::Reply reply) {
    h->handle(std::move(req), std::move(reply));
  });
  if (!server.ok()) {
    std::fprintf(stderr, "wasipool serve: error: %s\n", server.error().c_str());
    return 1;
  }
  std::string addr = (*server)->local_address();
  std::printf("Serving http://%s\n", addr.c_str());
  if (!quiet) {
    const spin::App& a = h->app();
    std::printf("Available Routes:\n");
    std::string base = a.base == "/" ? "" : a.base;
    while (!base.empty() && base.back() == '/') base.pop_back();
    for (const auto& r : a.routes) {
      const auto& c = a.components[r.component];
      std::printf("  %s: http://%s%s%s%s\n", c.id.c_str(), addr.c_str(), base.c_str(), r.route.c_str(),
                  r.executor.kind == spin::ExecutorKind::Wagi ? " (wagi)" : "");
    }
  }
  std::fflush(stdout);
  (*server)->run();
  // The server has stopped taking requests; `host` (workers) is torn down before `server` below
  // because workers may still hand replies to the server's loop.
  host->reset();
  return 0;
}

}  // namespace wasipool::cli
