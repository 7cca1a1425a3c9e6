// `wasipool slight -c slightfile.toml run app.wasm` (owner: slight): slight's own command line. Runs one
// SpiderLightning app: loads the slightfile and the module (everything checkable is checked before the
// guest runs), runs its lifecycle, serves where the app asks, and on SIGINT/SIGTERM drains in-flight
// requests and exits 0. Exit status: the app's own (_start / proc_exit) when it ends by itself, 1 when it
// cannot be loaded or fails, 2 for a bad command line. The containerd slight shim runs exactly
// `/proc/self/exe slight -c <rootfs>/slightfile.toml run <rootfs>/app.wasm`.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands.h"
#include "number_option.h"
#include "slight/slight_host.h"
#include "slight/slightfile.h"

namespace wasipool::cli {

namespace {

void slight_usage(FILE* out) {
  std::fputs(
      "usage: wasipool slight -c slightfile.toml run app.wasm [OPTIONS]\n"
      "  -c, --config FILE     the slightfile (default ./slightfile.toml)\n"
      "  --timeout SECS        per-request guest time limit (default 30); beyond it: 504\n"
      "  --max-memory MIB      per-instance linear memory limit (default 256)\n"
      "  --workers N           guest worker threads (default max(4, 2 x cores))\n"
      "  --state-dir DIR       filesystem keyvalue stores (default <slightfile dir>/.slight/keyvalue)\n"
      "  -l, --link-all-capabilities   accepted for compatibility; capabilities come from the slightfile\n",
      out);
}

}  // namespace

int slight_main(int argc, char** argv) {
  // A peer gone mid-write must cost an EPIPE, not the process.
  ::signal(SIGPIPE, SIG_IGN);
  std::string config = "slightfile.toml", module;
  bool saw_run = false;
  slight::HostOptions opts;
  uint32_t max_memory_mib = 256;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "wasipool slight: error: %s needs a value\n", a.c_str());
        return nullptr;
      }
      return argv[++i];
    };
    double num = 0;
    if (a == "-h" || a == "--help") {
      slight_usage(stdout);
      return 0;
    } else if (a == "-c" || a == "--config") {
      const char* v = value();
      if (!v) return 2;
      config = v;
    } else if (a == "-l" || a == "--link-all-capabilities") {
      // slight links every interface with -l; here the module's imports are checked against the
      // slightfile either way, so there is nothing to change.
    } else if (a == "--timeout" || a == "--max-memory" || a == "--workers") {
      const char* v = value();
      if (!v) return 2;
      if (!parse_number(v, num)) {
        std::fprintf(stderr, "wasipool slight: error: %s: '%s' is not a number\n", a.c_str(), v);
        return 2;
      }
      if (a == "--timeout") opts.request_timeout = std::chrono::milliseconds(static_cast<int64_t>(num * 1000));
      if (a == "--max-memory") max_memory_mib = static_cast<uint32_t>(num);
      if (a == "--workers") opts.workers = static_cast<unsigned>(num);
    } else if (a == "--state-dir") {
      const char* v = value();
      if (!v) return 2;
      opts.state_dir = v;
    } else if (a == "run" && !saw_run) {
      saw_run = true;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "wasipool slight: error: unknown option '%s'\n", a.c_str());
      slight_usage(stderr);
      return 2;
    } else if (saw_run && module.empty()) {
      module = a;
    } else {
      std::fprintf(stderr, "wasipool slight: error: unexpected argument '%s'\n", a.c_str());
      slight_usage(stderr);
      return 2;
    }
  }
  if (!saw_run || module.empty()) {
    slight_usage(stderr);
    return 2;
  }
  // SIGINT/SIGTERM are blocked before any thread starts, so every thread inherits the mask and only
  // the host's signal thread (sigwait) ever receives them: the app is stopped and drained, never killed.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto file = slight::load_slightfile(config);
  if (!file.ok()) {
    std::fprintf(stderr, "wasipool slight: error: %s\n", file.error().c_str());
    return 1;
  }
  engine::EngineConfig cfg;
  // 64 KiB pages; the cap bounds what one request can make the host allocate.
  cfg.limits.max_memory_pages = std::max<uint32_t>(1, max_memory_mib * 16);
  engine::Engine engine(cfg);
  auto host = slight::load_slight_app(engine, std::move(*file), module, opts);
  if (!host.ok()) {
    std::fprintf(stderr, "wasipool slight: error: %s\n", host.error().c_str());
    return 1;
  }
  int code = (*host)->run();
  host->reset();
  return code;
}

}  // namespace wasipool::cli
