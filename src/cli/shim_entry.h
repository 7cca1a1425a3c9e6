// How main() hands over to the containerd shim when it runs under a shim name
// (containerd-shim-{spin,slight,wasm}-v1). Two definitions, one per binary:
//   wasipool       src/cli/shim_entry_none.cpp — no shim. Every `wasipool run` pays process start-up,
//                  and the shim's libprotobuf brings ~40 static initialisers (the iostream/locale set-up
//                  among them) that touch ~0.5 MiB of text and heap before main; the CLI leaves them out.
//   wasipool-shim  src/cli/shim_entry_shim.cpp — the shim (src/shim) plus every subcommand, because its
//                  workloads re-execute it (`/proc/self/exe run|serve|slight ...`). The three shim names
//                  are symlinks to it.
#pragma once

namespace wasipool::cli {

// True when argv[0]'s basename is a shim name; then *status is what main returns.
bool shim_entry(int argc, char** argv, int* status);

}  // namespace wasipool::cli
