// wasipool (the CLI): no shim inside (see shim_entry.h). Started under a shim name anyway — a symlink
// made by hand to the wrong file — it says which binary is the shim instead of printing usage, so
// containerd's log shows the fix.
#include <cstdio>
#include <cstring>

#include "shim_entry.h"

namespace wasipool::cli {

bool shim_entry(int argc, char** argv, int* status) {
  if (argc < 1) return false;
  const char* base = std::strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (std::strncmp(base, "containerd-shim-", 16) != 0) return false;
  std::fprintf(stderr,
               "%s: this is the wasipool CLI, which has no containerd shim in it; point %s at wasipool-shim "
               "(`wasipool node install` does)\n",
               base, base);
  *status = 1;
  return true;
}

}  // namespace wasipool::cli
