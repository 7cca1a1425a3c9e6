// Registers every WASI function on an engine::Linker, under "wasi_snapshot_preview1" and the legacy
// "wasi_unstable". Both modules share one implementation; the Call's flavor selects the few layouts
// and enum values that differ (filestat, whence, subscription).
#include <cstring>

#include "host.h"
#include "wasi.h"

namespace wasipool::wasi {

namespace {

engine::FuncType make_type(const char* params) {
  engine::FuncType t;
  for (const char* p = params; *p; ++p)
    t.params.push_back(*p == 'I' ? engine::ValType::I64 : engine::ValType::I32);
  t.results.push_back(engine::ValType::I32);
  return t;
}

// Exactly one of `fixed` and `source` is set: a Context bound once, or one looked up per call.
void define_all(engine::Linker& linker, Context* fixed, ContextSource source, const char* module,
                abi::Flavor flavor) {
  auto add = [&](const FnDef* defs, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const FnDef& d = defs[i];
      // sock_accept arrived with preview1; snapshot_0 never had it.
      if (flavor == abi::Flavor::Unstable && std::strcmp(d.name, "sock_accept") == 0) continue;
      WasiFn fn = d.fn;
      linker.define_function(
          module, d.name, make_type(d.params),
          [fixed, source, fn, flavor](engine::Caller& caller, std::span<const uint64_t> args,
                                      std::span<uint64_t> results) -> engine::HostResult {
            Context* cp = fixed ? fixed : source();
            if (cp == nullptr) return engine::Trap::host("WASI call without a context");
            Call call{*cp, caller.memory(), args.data(), flavor};
            results[0] = fn(call);
            return std::nullopt;
          });
    }
  };
  add(kFdFunctions, kFdFunctionCount);
  add(kPathFunctions, kPathFunctionCount);
  add(kMiscFunctions, kMiscFunctionCount);
  // proc_exit unwinds the guest with its status; the embedder turns it into the process exit code.
  engine::FuncType exit_type;
  exit_type.params.push_back(engine::ValType::I32);
  linker.define_function(module, "proc_exit", exit_type,
                         [](engine::Caller&, std::span<const uint64_t> args,
                            std::span<uint64_t>) -> engine::HostResult {
                           return engine::Trap::exit(static_cast<int32_t>(args[0]));
                         });
}

}  // namespace

void add_to_linker(engine::Linker& linker, Context& ctx) {
  define_all(linker, &ctx, nullptr, "wasi_snapshot_preview1", abi::Flavor::Preview1);
  define_all(linker, &ctx, nullptr, "wasi_unstable", abi::Flavor::Unstable);
}

void add_to_linker(engine::Linker& linker, ContextSource source) {
  define_all(linker, nullptr, source, "wasi_snapshot_preview1", abi::Flavor::Preview1);
  define_all(linker, nullptr, source, "wasi_unstable", abi::Flavor::Unstable);
}

}  // namespace wasipool::wasi
