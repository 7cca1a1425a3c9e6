// Registers every WASI function on an engine::Linker, under "wasi_snapshot_preview1" and the legacy
// "wasi_unstable". Both modules share one implementation; the Call's flavor selects the few layouts
// and enum values that differ (filestat, whence, subscription).
#include <algorithm>
#include <cstring>
#include <vector>

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

// Every function, proc_exit included (fn == nullptr), sorted by name once: the Linker keeps its
// definitions ordered, so defining in order makes each definition an append (startup cost).
const std::vector<const FnDef*>& sorted_defs() {
  static const FnDef kProcExit{"proc_exit", "i", nullptr};
  static const std::vector<const FnDef*> defs = [] {
    std::vector<const FnDef*> v;
    for (size_t i = 0; i < kFdFunctionCount; ++i) v.push_back(&kFdFunctions[i]);
    for (size_t i = 0; i < kPathFunctionCount; ++i) v.push_back(&kPathFunctions[i]);
    for (size_t i = 0; i < kMiscFunctionCount; ++i) v.push_back(&kMiscFunctions[i]);
    v.push_back(&kProcExit);
    std::sort(v.begin(), v.end(), [](const FnDef* a, const FnDef* b) { return std::strcmp(a->name, b->name) < 0; });
    return v;
  }();
  return defs;
}

// The host-function object for one WASI function. Two words of capture at most, so std::function
// keeps it inline (no allocation per function at startup); the flavor is a template parameter.
template <abi::Flavor F>
engine::HostFunction bind(WasiFn fn, Context* fixed, ContextSource source) {
  if (fixed != nullptr) {
    return [fn, fixed](engine::Caller& caller, std::span<const uint64_t> args,
                       std::span<uint64_t> results) -> engine::HostResult {
      Call call{*fixed, caller.memory(), args.data(), F};
      results[0] = fn(call);
      return std::nullopt;
    };
  }
  return [fn, source](engine::Caller& caller, std::span<const uint64_t> args,
                      std::span<uint64_t> results) -> engine::HostResult {
    Context* cp = source();
    if (cp == nullptr) return engine::Trap::host("WASI call without a context");
    Call call{*cp, caller.memory(), args.data(), F};
    results[0] = fn(call);
    return std::nullopt;
  };
}

// sock_accept arrived with preview1; snapshot_0 never had it.
bool exists_in(abi::Flavor flavor, const FnDef* d) {
  return !(flavor == abi::Flavor::Unstable && std::strcmp(d->name, "sock_accept") == 0);
}

// Exactly one of `fixed` and `source` is set: a Context bound once, or one looked up per call.
void define_one(engine::Linker& linker, const FnDef* d, Context* fixed, ContextSource source, const char* module,
                abi::Flavor flavor) {
  if (d->fn == nullptr) {
    // proc_exit unwinds the guest with its status; the embedder turns it into the exit code.
    engine::FuncType exit_type;
    exit_type.params.push_back(engine::ValType::I32);
    linker.define_function(module, d->name, exit_type,
                           [](engine::Caller&, std::span<const uint64_t> args,
                              std::span<uint64_t>) -> engine::HostResult {
                             return engine::Trap::exit(static_cast<int32_t>(args[0]));
                           });
    return;
  }
  linker.define_function(module, d->name, make_type(d->params),
                         flavor == abi::Flavor::Preview1 ? bind<abi::Flavor::Preview1>(d->fn, fixed, source)
                                                         : bind<abi::Flavor::Unstable>(d->fn, fixed, source));
}

void define_all(engine::Linker& linker, Context* fixed, ContextSource source, const char* module,
                abi::Flavor flavor) {
  for (const FnDef* d : sorted_defs())
    if (exists_in(flavor, d)) define_one(linker, d, fixed, source, module, flavor);
}

}  // namespace

void add_to_linker(engine::Linker& linker, Context& ctx) {
  define_all(linker, &ctx, nullptr, "wasi_snapshot_preview1", abi::Flavor::Preview1);
  define_all(linker, &ctx, nullptr, "wasi_unstable", abi::Flavor::Unstable);
}

void add_to_linker(engine::Linker& linker, Context& ctx, const engine::Module& only_imports_of) {
  const std::vector<const FnDef*>& defs = sorted_defs();
  for (const ir::Import& imp : only_imports_of.ir().imports) {
    const char* module = nullptr;
    abi::Flavor flavor = abi::Flavor::Preview1;
    if (imp.module == "wasi_snapshot_preview1") {
      module = "wasi_snapshot_preview1";
    } else if (imp.module == "wasi_unstable") {
      module = "wasi_unstable";
      flavor = abi::Flavor::Unstable;
    } else {
      continue;
    }
    auto it = std::lower_bound(defs.begin(), defs.end(), imp.name,
                               [](const FnDef* d, const std::string& n) { return std::strcmp(d->name, n.c_str()) < 0; });
    // An unknown name is left undefined: instantiation then reports it exactly as with every
    // function defined (and a wrong signature, defined here, is refused by the Linker as before).
    if (it == defs.end() || imp.name != (*it)->name || !exists_in(flavor, *it)) continue;
    define_one(linker, *it, &ctx, nullptr, module, flavor);
  }
}

void add_to_linker(engine::Linker& linker, ContextSource source) {
  define_all(linker, nullptr, source, "wasi_snapshot_preview1", abi::Flavor::Preview1);
  define_all(linker, nullptr, source, "wasi_unstable", abi::Flavor::Unstable);
}

}  // namespace wasipool::wasi
