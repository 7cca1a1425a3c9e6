// wasipool-shim: the containerd shim binary, run as containerd-shim-{spin,slight,wasm}-v1 (argv[0] picks
// the flavour). It holds the shim alone: each wasm workload runs in the `wasipool` CLI installed beside
// it, so the daemon that stays up for every pod carries no engine code (less resident per pod).
#include <cstdio>

#include "shim/shim_main.h"

int main(int argc, char** argv) {
  const char* base = argc > 0 ? wasipool::shim::base_name(argv[0]) : "wasipool-shim";
  wasipool::shim::Flavour flavour;
  if (wasipool::shim::flavour_from_binary_name(base, &flavour)) return wasipool::shim::shim_main(flavour, argc, argv);
  std::fprintf(stderr,
               "%s: the wasipool containerd shim runs as containerd-shim-spin-v1, containerd-shim-slight-v1 or "
               "containerd-shim-wasm-v1 (symlinks to it; `wasipool node install` makes them)\n",
               base);
  return 2;
}
