// e2e guest: prints its arguments, one environment variable and its cwd view, then exits 3, so the
// test sees that the shim passed process.args/env through and reported the guest's exit code.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) printf("arg %d: %s\n", i, argv[i]);
  const char* v = getenv("E2E_VALUE");
  printf("E2E_VALUE=%s\n", v ? v : "(unset)");
  fflush(stdout);
  fprintf(stderr, "to stderr\n");
  return 3;
}
