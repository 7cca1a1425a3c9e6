// WASI preview1 for the engine: per-instance context (args, environment, fd table with preopens) and
// the host functions, registered on an engine::Linker under "wasi_snapshot_preview1" and the legacy
// "wasi_unstable". Uses only the embedding API.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "wasipool/engine.h"

namespace wasipool::wasi {

struct Preopen {
  std::string host_path;   // directory on the host
  std::string guest_path;  // name the guest sees (fd_prestat_dir_name)
  bool read_only = false;  // no write, create, delete, rename or truncate through this preopen
};

struct Config {
  std::vector<std::string> args;  // argv, argv[0] first
  std::vector<std::string> env;   // "NAME=VALUE", exactly what the guest sees
  std::vector<Preopen> preopens;  // become fds 3, 4, ... in order
  std::vector<int> listen_fds;    // pre-opened listening sockets (--tcplisten), after the preopens
  int stdin_fd = 0, stdout_fd = 1, stderr_fd = 2;  // host descriptors behind guest fds 0..2
};

// Per-instance WASI state. Owns its host descriptors (closes them on destruction, except stdio).
// Defined in context.h (included here so callers can destroy the unique_ptr make_context returns).
class Context;

// Opens the preopens (each must be an existing directory). Error: a one-line message naming the path.
Result<std::unique_ptr<Context>, std::string> make_context(Config config);

// Defines every wasi_snapshot_preview1 and wasi_unstable function on `linker`, bound to `ctx`
// (which must outlive every instance created through it).
void add_to_linker(engine::Linker& linker, Context& ctx);

// The same, but only the WASI functions `only_imports_of` imports: for an embedder whose Linker
// serves that one module (`wasipool run`), it skips building ~90 host definitions it would never
// use (startup, issue 3). Instantiating any other module through this Linker may find WASI
// imports missing. (Added by startup-perf, additively.)
void add_to_linker(engine::Linker& linker, Context& ctx, const engine::Module& only_imports_of);

// Same functions, but each call finds its Context through `source` (e.g. a thread-local the embedder
// sets around each guest call): one Linker then serves many short-lived contexts, such as one per HTTP
// request, instead of being rebuilt for each. A call made while `source` returns null traps.
// (Added by the spin host, additively.)
using ContextSource = Context* (*)();
void add_to_linker(engine::Linker& linker, ContextSource source);

}  // namespace wasipool::wasi

#include "context.h"
