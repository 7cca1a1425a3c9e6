// wasipool-shim: argv[0] picks the containerd shim flavour (see shim_entry.h).
#include <cstring>

#include "shim/shim_main.h"
#include "shim_entry.h"

namespace wasipool::cli {

bool shim_entry(int argc, char** argv, int* status) {
  if (argc < 1) return false;
  const char* base = std::strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  shim::Flavour flavour;
  if (!shim::flavour_from_binary_name(base, &flavour)) return false;
  *status = shim::shim_main(flavour, argc, argv);
  return true;
}

}  // namespace wasipool::cli
