// The three runtimes a WASI node offers: RuntimeClass handler name -> containerd runtime_type -> shim
// binary name (containerd derives the binary from the runtime_type, see shim_path.h). One table, used
// by the config editor, the bin-dir installer, status and the labels. Immutable; thread-safe.
#pragma once

#include <string_view>

namespace wasipool::node {

struct Handler {
  std::string_view name;          // RuntimeClass `handler:` and the key under ...containerd.runtimes
  std::string_view runtime_type;  // io.containerd.<x>.v1
  std::string_view shim_binary;   // containerd-shim-<x>-v1 (a symlink to `wasipool-shim` in the bin dir)
};

// spin and slight are the seed's handlers (RuntimeClasses wasmtime-spin-v1 / wasmtime-slight-v1);
// wasm runs a plain WASI command module.
inline constexpr Handler kHandlers[] = {
    {"spin", "io.containerd.spin.v1", "containerd-shim-spin-v1"},
    {"slight", "io.containerd.slight.v1", "containerd-shim-slight-v1"},
    {"wasm", "io.containerd.wasm.v1", "containerd-shim-wasm-v1"},
};
inline constexpr std::size_t kHandlerCount = sizeof(kHandlers) / sizeof(kHandlers[0]);

// The installed copies of the two binaries: the CLI (which also runs every wasm workload the shim starts),
// and the shim binary (src/shim/binary_main.cpp) the shim names are relative symlinks to.
inline constexpr std::string_view kBinaryName = "wasipool";
inline constexpr std::string_view kShimBinaryName = "wasipool-shim";

}  // namespace wasipool::node
