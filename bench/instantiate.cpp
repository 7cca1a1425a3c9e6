// Per-request cost of the one-fresh-instance-per-request model, through the embedding API only: the
// module is loaded and the Linker (WASI via a per-call context source) built once, as `wasipool serve`
// does; each iteration then makes a WASI context, a Store, instantiates, optionally runs `_start`, and
// tears everything down. Baseline in the same run: the same loop without instantiation (context + Store
// only), so the printed ratio isolates what instantiation adds.
//
// usage: instantiate MODULE.wasm [ITERATIONS]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "wasi/wasi.h"
#include "wasipool/engine.h"

using namespace wasipool;

namespace {
thread_local wasi::Context* current_ctx = nullptr;
wasi::Context* context_source() { return current_ctx; }

enum class Mode { ContextAndStore, Instantiate, InstantiateAndStart };

double run(Mode mode, const engine::Engine& eng, const engine::Linker& linker,
           const std::shared_ptr<const engine::Module>& module, int devnull, int iterations) {
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) {
    wasi::Config cfg;
    cfg.args = {"hello"};
    cfg.stdout_fd = devnull;
    auto ctx = wasi::make_context(std::move(cfg));
    if (!ctx) { std::fprintf(stderr, "instantiate: %s\n", ctx.error().c_str()); std::exit(1); }
    current_ctx = ctx->get();
    engine::Store store(eng);
    if (mode != Mode::ContextAndStore) {
      auto inst = linker.instantiate(store, module);
      if (!inst) { std::fprintf(stderr, "instantiate: %s\n", inst.error().message.c_str()); std::exit(1); }
      if (mode == Mode::InstantiateAndStart) {
        auto start = (*inst)->get_func("_start");
        if (!start) { std::fprintf(stderr, "instantiate: module has no _start\n"); std::exit(1); }
        auto r = store.call(*start, {});
        if (!r && r.error().kind != engine::TrapKind::Exit) {
          std::fprintf(stderr, "instantiate: trap: %s\n", r.error().message.c_str());
          std::exit(1);
        }
      }
    }
    current_ctx = nullptr;
  }
  auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / iterations;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) { std::fprintf(stderr, "usage: instantiate MODULE.wasm [ITERATIONS]\n"); return 2; }
  int iterations = argc > 2 ? std::atoi(argv[2]) : 20000;
  engine::Engine eng;
  auto module = eng.load_file(argv[1]);
  if (!module) { std::fprintf(stderr, "instantiate: %s\n", module.error().message.c_str()); return 1; }
  engine::Linker linker;
  wasi::add_to_linker(linker, &context_source);
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  run(Mode::InstantiateAndStart, eng, linker, *module, devnull, iterations / 10 + 1);  // warm the pools
  double base = run(Mode::ContextAndStore, eng, linker, *module, devnull, iterations);
  double inst = run(Mode::Instantiate, eng, linker, *module, devnull, iterations);
  double full = run(Mode::InstantiateAndStart, eng, linker, *module, devnull, iterations);
  std::printf("per request (us, mean of %d): context+store %.2f | + instantiate+teardown %.2f | + _start %.2f\n",
              iterations, base, inst, full);
  std::printf("instantiate+teardown adds %.2f us (%.2fx the context+store baseline)\n", inst - base,
              base > 0 ? inst / base : 0.0);
  return 0;
}
