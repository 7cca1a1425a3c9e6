// libFuzzer target: arbitrary bytes -> Engine::load (decode + validate + prepare) -> instantiate with
// no imports into a fresh Store with small limits. Any crash, sanitizer report, assertion, leak,
// oversized allocation or hang is a finding; a clean failure (an Error value) is the expected outcome
// for almost every input.
//
// Set WASIPOOL_FUZZ_CALL=1 to also call every exported function (zero arguments of the right types)
// after a successful instantiation — this reaches the interpreter, at a lower exec rate.
//
// Oracles beyond "does not crash":
//   - load fails only as Malformed / Invalid / Unsupported / Limit (an implementation limit such as
//     the number of locals), with a non-empty message;
//   - instantiation without imports fails only as Unlinkable / Uninstantiable / Limit;
//   - no guest (start function or export) runs longer than the watchdog allows: the store's interrupt
//     handle must stop it, else libFuzzer's -timeout reports the input.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "wasipool/engine.h"

namespace {

using namespace wasipool::engine;
using Clock = std::chrono::steady_clock;

// Interrupts the armed store once its deadline passes. One thread for the whole process, so a
// per-input thread start does not dominate the exec rate.
class Watchdog {
 public:
  Watchdog() { std::thread([this] { loop(); }).detach(); }

  void arm(InterruptHandle handle, std::chrono::milliseconds budget) {
    std::lock_guard lock(mu_);
    handle_.emplace(std::move(handle));
    deadline_ = Clock::now() + budget;
    cv_.notify_one();
  }
  void disarm() {
    std::lock_guard lock(mu_);
    handle_.reset();
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (!handle_) {
        cv_.wait(lock);
        continue;
      }
      if (Clock::now() >= deadline_) {
        handle_->interrupt();  // the handle outlives its store, so a late interrupt is harmless
        handle_.reset();
        continue;
      }
      cv_.wait_until(lock, deadline_);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<InterruptHandle> handle_;
  Clock::time_point deadline_;
};

struct Fixture {
  Engine engine;
  Watchdog watchdog;
  bool call_exports = false;

  static EngineConfig config() {
    EngineConfig c;
    // Small limits keep one input from taking the fuzzer's memory: 1 MiB per memory, 1000 slots per
    // table. A module that asks for more must fail cleanly (Limit / Uninstantiable), never allocate.
    c.limits.max_memory_pages = 16;
    c.limits.max_table_elements = 1000;
    c.limits.max_instances = 4;
    return c;
  }
  Fixture() : engine(config()) {
    const char* call = std::getenv("WASIPOOL_FUZZ_CALL");
    call_exports = call && call[0] == '1';
  }
};

Fixture* fixture = nullptr;  // leaked on purpose: the watchdog thread runs until the process exits

[[noreturn]] void oracle_failed(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_load: oracle failed: %s: %s\n", what, detail.c_str());
  std::abort();
}

Value zero_of(ValType t) { return Value{t, 0}; }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fixture = new Fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fx = *fixture;
  auto loaded = fx.engine.load(std::span<const uint8_t>(data, size));
  if (!loaded) {
    const Error& e = loaded.error();
    if (e.kind != ErrorKind::Malformed && e.kind != ErrorKind::Invalid && e.kind != ErrorKind::Unsupported &&
        e.kind != ErrorKind::Limit)
      oracle_failed("load error kind", std::string(name_of(e.kind)) + ": " + e.message);
    if (e.message.empty()) oracle_failed("load error message", name_of(e.kind));
    return 0;
  }

  Store store(fx.engine);
  Linker linker;  // empty: every import fails to link, which is a correct outcome
  // The start function runs inside instantiate(): bound it like any other guest code.
  fx.watchdog.arm(store.interrupt_handle(), std::chrono::milliseconds(200));
  auto inst = linker.instantiate(store, loaded.value());
  fx.watchdog.disarm();
  if (!inst) {
    const Error& e = inst.error();
    if (e.kind != ErrorKind::Unlinkable && e.kind != ErrorKind::Uninstantiable && e.kind != ErrorKind::Limit)
      oracle_failed("instantiate error kind", std::string(name_of(e.kind)) + ": " + e.message);
    return 0;
  }
  if (!fx.call_exports) return 0;

  for (const auto& exp : loaded.value()->ir().exports) {
    if (exp.kind != ExternKind::Func) continue;
    auto f = inst.value()->get_func(exp.name);
    if (!f) oracle_failed("exported function not found", exp.name);
    std::vector<Value> args;
    for (ValType t : store.func_type(*f).params) args.push_back(zero_of(t));
    store.clear_interrupt();
    fx.watchdog.arm(store.interrupt_handle(), std::chrono::milliseconds(50));
    auto r = store.call(*f, args);
    fx.watchdog.disarm();
    (void)r;  // traps are values; any kind is acceptable here
  }
  return 0;
}
