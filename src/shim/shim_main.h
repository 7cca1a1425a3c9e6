// The containerd shim entry point. `wasipool-shim` is installed under the names containerd-shim-spin-v1,
// containerd-shim-slight-v1 and containerd-shim-wasm-v1; src/shim/binary_main.cpp sends argv[0]'s basename
// here.
#pragma once

namespace wasipool::shim {

enum class Flavour { kSpin, kSlight, kWasm };

// The part of argv[0] after the last '/'.
const char* base_name(const char* path);

// Returns the flavour for a binary basename ("containerd-shim-spin-v1" ...), or false if it is not one.
bool flavour_from_binary_name(const char* basename, Flavour* out);

// The whole shim binary contract (start / delete / the daemon / -v), argv as containerd passes it.
int shim_main(Flavour flavour, int argc, char** argv);

}  // namespace wasipool::shim
