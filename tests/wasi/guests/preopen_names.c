// `--dir HOST` without ::GUEST: the guest sees the directory under HOST as written (wasmtime's rule).
// The case passes the same path as argv[1] so the guest can compare without knowing {tmp}.
// @run: --dir {tmp} --dir-ro {tmp2}::/ro {module} {tmp}
// @check: file made-by-libc.txt ""
#include "wasi_test.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  printf("fd 3 is named like argv[1]: %s\n", find_preopen(argv[1]) == 3 ? "yes" : "no");
  printf("fd 4 is named /ro: %s\n", find_preopen("/ro") == 4 ? "yes" : "no");
  __wasi_fd_t fd;
  // libc maps absolute paths onto the preopen with the longest matching name.
  FILE* f = fopen("/ro/../escape.txt", "w");
  printf("fopen(\"/ro/../escape.txt\", \"w\"): %s\n", f ? "opened" : "refused");
  char path[512];
  snprintf(path, sizeof path, "%s/made-by-libc.txt", argv[1]);
  f = fopen(path, "w");
  printf("fopen(\"<argv[1]>/made-by-libc.txt\", \"w\"): %s\n", f ? "opened" : "refused");
  if (f) fclose(f);
  ERR("path_open at fd 3", open_at(3, "made-by-libc.txt", 0, RIGHTS_ALL, 0, &fd));
  return 0;
}
