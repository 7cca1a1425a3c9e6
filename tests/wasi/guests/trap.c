// Traps: `wasipool run` prints the trap and a wasm backtrace with names from the name section to
// stderr and exits 134; what the guest wrote before the trap is still on stdout. argv[1] picks the
// fault (default: unreachable); cases/trap_*.case and cases/timeout_*.case run the others.
// @exit: 134
// @stderr: wasipool run: trap: unreachable
// @stderr: wasm backtrace:
// @stderr: crash_here
// @stderr: trap_dispatch
#include <poll.h>
#include <time.h>

#include "wasi_test.h"

__attribute__((noinline)) void crash_here(void) { __builtin_trap(); }

__attribute__((noinline)) int divide(volatile int a, volatile int b) { return a / b; }

__attribute__((noinline)) int load_far(void) { return *(volatile int*)0xFFFFFFF0u; }

// optnone: at -O2 clang would turn the recursion into a loop and the stack would never run out.
__attribute__((noinline, optnone)) int recurse_forever(int n) { return recurse_forever(n + 1) + 1; }

typedef void (*fn_t)(void);

__attribute__((noinline)) void call_null(void) {
  volatile fn_t f = 0;
  f();
}

__attribute__((noinline)) void spin_forever(void) {
  volatile uint64_t x = 0;
  for (;;) ++x;
}

__attribute__((noinline)) void sleep_forever(void) {
  struct timespec ts = {3600, 0};
  nanosleep(&ts, NULL);
}

__attribute__((noinline)) void trap_dispatch(const char* what) {
  if (!strcmp(what, "unreachable")) crash_here();
  if (!strcmp(what, "divzero")) printf("%d\n", divide(1, 0));
  if (!strcmp(what, "overflow")) printf("%d\n", divide(-2147483647 - 1, -1));
  if (!strcmp(what, "oob")) printf("%d\n", load_far());
  if (!strcmp(what, "stack")) printf("%d\n", recurse_forever(0));
  if (!strcmp(what, "null")) call_null();
  if (!strcmp(what, "spin")) spin_forever();
  if (!strcmp(what, "sleep")) sleep_forever();
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "unreachable";
  printf("before the trap: %s\n", what);
  fflush(stdout);
  trap_dispatch(what);
  printf("not reached\n");
  return 0;
}
