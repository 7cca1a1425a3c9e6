// PLACEHOLDER until 'wasipool slight' lands (owned by the slight work).
#include <cstdio>

#include "commands.h"

namespace wasipool::cli {
int slight_main(int, char**) {
  std::fputs("wasipool slight: not built yet\n", stderr);
  return 2;
}
}  // namespace wasipool::cli
