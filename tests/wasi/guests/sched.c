// sched_yield succeeds; proc_raise (dropped from newer wasi-libc headers, so imported by hand) is
// not supported: signals do not exist for a WASI guest.
#include "wasi_test.h"

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raw_proc_raise(int32_t sig);

int main(void) {
  ERR("sched_yield", __wasi_sched_yield());
  for (int i = 0; i < 100; ++i) MUST(__wasi_sched_yield());
  printf("100 more yields: ok\n");
  printf("proc_raise SIGTERM: %s\n", errname((__wasi_errno_t)raw_proc_raise(15)));
  return 0;
}
