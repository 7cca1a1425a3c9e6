// PLACEHOLDER until 'wasipool node' lands (owned by the node work).
#include <cstdio>

#include "commands.h"

namespace wasipool::cli {
int node_main(int, char**) {
  std::fputs("wasipool node: not built yet\n", stderr);
  return 2;
}
}  // namespace wasipool::cli
