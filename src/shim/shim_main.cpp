// PLACEHOLDER until the shim lands (owned by the shim work): recognises the names, does nothing else.
#include "shim/shim_main.h"

#include <cstdio>
#include <cstring>

namespace wasipool::shim {

bool flavour_from_binary_name(const char* name, Flavour* out) {
  if (!std::strcmp(name, "containerd-shim-spin-v1")) return *out = Flavour::kSpin, true;
  if (!std::strcmp(name, "containerd-shim-slight-v1")) return *out = Flavour::kSlight, true;
  if (!std::strcmp(name, "containerd-shim-wasm-v1")) return *out = Flavour::kWasm, true;
  return false;
}

int shim_main(Flavour, int, char**) {
  std::fputs("containerd shim: not built yet\n", stderr);
  return 1;
}

}  // namespace wasipool::shim
