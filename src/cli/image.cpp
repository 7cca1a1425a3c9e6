// PLACEHOLDER until 'wasipool image' lands (owned by the image work).
#include <cstdio>

#include "commands.h"

namespace wasipool::cli {
int image_main(int, char**) {
  std::fputs("wasipool image: not built yet\n", stderr);
  return 2;
}
}  // namespace wasipool::cli
