// proc_exit: the exit status of `wasipool run` is the guest's. argv[1] picks how the guest ends:
// a number N -> exit(N) (stdio flushed, then proc_exit); "main:N" -> main returns N;
// "raw:N" -> __wasi_proc_exit(N) directly, skipping libc's atexit and stdio flushing.
// Without arguments it exits 0 via a normal return (this case). cases/exit_*.case run the others.
#include "wasi_test.h"

static void at_exit_hook(void) { printf("atexit hook ran\n"); }

int main(int argc, char** argv) {
  atexit(at_exit_hook);
  printf("exit guest: %s\n", argc > 1 ? argv[1] : "(none)");
  if (argc < 2) return 0;
  if (strncmp(argv[1], "main:", 5) == 0) return atoi(argv[1] + 5);
  if (strncmp(argv[1], "raw:", 4) == 0) {
    fflush(stdout);
    __wasi_proc_exit((__wasi_exitcode_t)atoi(argv[1] + 4));
  }
  exit(atoi(argv[1]));
}
