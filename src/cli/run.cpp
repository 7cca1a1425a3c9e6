// `wasipool run [OPTIONS] MODULE [ARGS...]` (owner: run): load a module, grant it exactly the
// capabilities named on the command line (WASI context), run `_start` or `--invoke FUNC`, and turn
// the outcome into a process exit status:
//   guest exit code (proc_exit, or main's return) -> that code
//   trap                                          -> message + wasm backtrace on stderr, exit 134
//   unusable command line                         -> one line on stderr, exit 2
//   unreadable / invalid / unlinkable module      -> one line on stderr, exit 1
// Uses only the embedding API (wasipool/engine.h) and wasi/wasi.h.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <utility>

#include "commands.h"
#include "run_options.h"
#include "wasi/wasi.h"

namespace wasipool::cli {

namespace {

using namespace run;

constexpr int kExitTrap = 134;   // what wasmtime reports on Unix (128 + SIGABRT)
constexpr int kExitLoad = 1;     // the module could not be read, decoded, validated or linked
constexpr int kExitUsage = 2;    // the command line itself is wrong

[[gnu::format(printf, 1, 2)]] void error_line(const char* fmt, ...) {
  std::fputs("wasipool run: error: ", stderr);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
}

// MODULE's bytes, mapped read-only from the page cache and lent to the engine (Engine::load_shared)
// rather than read into a heap buffer: startup runs on every `wasipool run`, and a copy costs ~35
// fresh anonymous pages (faults, zeroing) and a 140 KB memcpy for hello.wasm, most of it debug
// sections the decoder only steps over. The Module keeps the mapping for the run. A concurrent truncation of the file
// would fault (SIGBUS) on the lost pages; only someone who can already replace the module can do that,
// so it gains nothing.
struct ModuleFile {
  std::shared_ptr<const void> owner;  // unmaps when the last user (the Module) lets go
  std::span<const uint8_t> bytes;
};

// Reads MODULE ourselves so a missing file, a directory or an empty file gets a precise message.
Result<ModuleFile, std::string> read_module_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("cannot read '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("cannot read '" + path + "': not a regular file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {  // mmap refuses length 0; the decoder reports the empty module
    ::close(fd);
    return ModuleFile{};
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) return fail("cannot read '" + path + "': " + std::strerror(err));
  std::shared_ptr<const void> owner(p, [size](const void* q) { ::munmap(const_cast<void*>(q), size); });
  return ModuleFile{std::move(owner), {static_cast<const uint8_t*>(p), size}};
}

// Interrupts the store after --timeout seconds. A guest spinning in wasm code traps "interrupted" at
// its next loop back-edge or call; a guest blocked inside a host call (sock_accept, fd_read on a
// silent pipe, a long poll_oneoff) cannot see the flag, so after a grace period the watchdog ends the
// process itself: a time limit that a guest can dodge by blocking would not be a limit.
class Watchdog {
 public:
  Watchdog(engine::InterruptHandle handle, double seconds) : handle_(std::move(handle)) {
    thread_ = std::thread([this, seconds] {
      std::unique_lock lock(mu_);
      auto limit = std::chrono::duration<double>(seconds);
      if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
      fired_ = true;
      handle_.interrupt();
      if (cv_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) return;
      std::fprintf(stderr,
                   "wasipool run: trap: interrupted (time limit of %gs exceeded while the guest was blocked "
                   "in a host call)\n",
                   seconds);
      std::fflush(stdout);
      ::_exit(kExitTrap);
    });
  }
  ~Watchdog() { stop(); }
  void stop() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool fired() {
    std::lock_guard lock(mu_);
    return fired_;
  }

 private:
  engine::InterruptHandle handle_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

// The name of function `index` for a backtrace: the name section's, else the import's module.field.
std::string function_name(const ir::Module& m, uint32_t index) {
  if (auto it = m.names.functions.find(index); it != m.names.functions.end()) return it->second;
  if (index < m.num_imported_funcs) {
    uint32_t seen = 0;
    for (const auto& imp : m.imports) {
      if (imp.kind != ir::ExternKind::Func) continue;
      if (seen++ == index) return imp.module + "!" + imp.name;
    }
  }
  return "<unknown>";
}

// Exit code for a finished call: the guest's own exit status, or 134 after printing the trap.
int report_trap(const engine::Trap& trap, const engine::Module& module, const Options& o, bool timed_out) {
  if (trap.kind == engine::TrapKind::Exit) return trap.exit_code;
  std::fflush(stdout);
  std::string message = trap.message.empty() ? engine::default_message(trap.kind) : trap.message;
  if (trap.kind == engine::TrapKind::Interrupted && timed_out)
    std::fprintf(stderr, "wasipool run: trap: %s (time limit of %gs exceeded)\n", message.c_str(), *o.timeout);
  else
    std::fprintf(stderr, "wasipool run: trap: %s\n", message.c_str());
  if (!trap.backtrace.empty()) {
    std::fputs("wasm backtrace:\n", stderr);
    const ir::Module& m = module.ir();
    // Runs of the same function (deep recursion) print as one line: a 10,000-frame stack overflow
    // stays readable.
    const auto& bt = trap.backtrace;
    for (size_t i = 0; i < bt.size();) {
      size_t run = 1;
      while (i + run < bt.size() && bt[i + run] == bt[i]) ++run;
      if (run > 2)
        std::fprintf(stderr, "  %2zu: func[%u] %s (repeated %zu times)\n", i, bt[i], function_name(m, bt[i]).c_str(),
                     run);
      else
        for (size_t k = 0; k < run; ++k)
          std::fprintf(stderr, "  %2zu: func[%u] %s\n", i + k, bt[i], function_name(m, bt[i]).c_str());
      i += run;
    }
  }
  return kExitTrap;
}

}  // namespace

int run_main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (!parsed) {
    error_line("%s", parsed.error().c_str());
    return kExitUsage;
  }
  Options& o = *parsed;
  if (o.help) {
    print_usage(stdout);
    return 0;
  }

  auto bytes = read_module_file(o.module);
  if (!bytes) {
    error_line("%s", bytes.error().c_str());
    return kExitLoad;
  }

  engine::EngineConfig config;
  if (o.max_memory) {
    uint64_t pages = *o.max_memory / ir::kPageSize;
    config.limits.max_memory_pages = static_cast<uint32_t>(pages < ir::kMaxPages ? pages : ir::kMaxPages);
  }
  engine::Engine engine(config);
  auto module = engine.load_shared(bytes->owner, bytes->bytes);
  if (!module) {
    // wasmtime also accepts the text format; we do not, so say what to do instead.
    const std::span<const uint8_t> b = bytes->bytes;
    size_t first = 0;
    while (first < b.size() && std::isspace(b[first])) ++first;
    bool text = first < b.size() && b[first] == '(';
    const char* hint = text ? " (looks like the text format: convert it with wat2wasm)" : "";
    error_line("'%s' is not a usable module: %s: %s%s", o.module.c_str(), engine::name_of(module.error().kind),
               module.error().message.c_str(), hint);
    return kExitLoad;
  }

  // The WASI capabilities: exactly what the command line grants, nothing inherited implicitly.
  wasi::Config wc;
  wc.args.push_back(o.argv0 ? *o.argv0 : o.module);
  if (!o.invoke)
    for (auto& a : o.args) wc.args.push_back(a);
  for (auto& e : o.env) {
    if (e.value) {
      wc.env.push_back(e.name + "=" + *e.value);
    } else if (const char* host = std::getenv(e.name.c_str())) {
      wc.env.push_back(e.name + "=" + host);
    }  // --env NAME for a variable the host does not have: the guest does not have it either
  }
  for (auto& d : o.dirs) wc.preopens.push_back(wasi::Preopen{d.host, d.guest, d.read_only});
  for (auto& addr : o.tcplisten) {
    auto fd = open_listener(addr);
    if (!fd) {
      error_line("%s", fd.error().c_str());
      return kExitUsage;
    }
    wc.listen_fds.push_back(*fd);
  }
  auto ctx = wasi::make_context(std::move(wc));
  if (!ctx) {
    error_line("%s", ctx.error().c_str());
    return kExitUsage;
  }

  // Only the WASI functions MODULE imports: this Linker serves that one module (startup cost).
  engine::Linker linker;
  wasi::add_to_linker(linker, **ctx, **module);
  engine::Store store(engine);

  std::optional<Watchdog> watchdog;
  if (o.timeout) watchdog.emplace(store.interrupt_handle(), *o.timeout);
  auto timed_out = [&] { return watchdog && watchdog->fired(); };

  auto instance = linker.instantiate(store, *module);
  if (!instance && timed_out()) {
    // The start function ran into --timeout: that is the time limit, not a broken module.
    std::fprintf(stderr, "wasipool run: trap: interrupted (time limit of %gs exceeded in the start function)\n",
                 *o.timeout);
    return kExitTrap;
  }
  if (!instance) {
    error_line("cannot instantiate '%s': %s: %s", o.module.c_str(), engine::name_of(instance.error().kind),
               instance.error().message.c_str());
    return kExitLoad;
  }
  engine::Instance& inst = **instance;

  // A reactor is initialised before anything else is called (WASI application ABI).
  if (auto init = inst.get_func("_initialize")) {
    auto r = store.call(*init, {});
    if (!r) return report_trap(r.error(), **module, o, timed_out());
  }

  std::optional<engine::Func> func;
  if (o.invoke) {
    func = inst.get_func(*o.invoke);
    if (!func) {
      error_line("'%s' exports no function named '%s'", o.module.c_str(), o.invoke->c_str());
      return kExitLoad;
    }
  } else {
    // As wasmtime: the command's `_start`, else the default export "", else nothing to run.
    func = inst.get_func("_start");
    if (!func) func = inst.get_func("");
    if (!func) return 0;
  }

  std::vector<engine::Value> args;
  if (o.invoke) {
    const engine::FuncType& type = store.func_type(*func);
    if (o.args.size() != type.params.size()) {
      error_line("'%s' takes %zu argument(s) %s, got %zu", o.invoke->c_str(), type.params.size(),
                 ir::to_string(type).c_str(), o.args.size());
      return kExitUsage;
    }
    for (size_t i = 0; i < o.args.size(); ++i) {
      auto v = parse_value(o.args[i], type.params[i]);
      if (!v) {
        error_line("%s for parameter %zu of '%s'", v.error().c_str(), i, o.invoke->c_str());
        return kExitUsage;
      }
      args.push_back(*v);
    }
  }

  auto result = store.call(*func, args);
  if (watchdog) watchdog->stop();
  int status = 0;
  if (!result) {
    status = report_trap(result.error(), **module, o, timed_out());
  } else if (o.invoke) {
    for (const auto& v : *result) {
      std::string s = format_value(v);
      s.push_back('\n');
      std::fputs(s.c_str(), stdout);
    }
  }
  // The run is over: leave without tearing down the store, module and WASI context. Their
  // destructors only recycle linear memory for a next store (mincore + zeroing), unmap, free and
  // close descriptors, all of which the kernel does at exit anyway; startup pays for every step.
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(status);
}

}  // namespace wasipool::cli
