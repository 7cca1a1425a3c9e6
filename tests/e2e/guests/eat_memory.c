// e2e guest: touches 1 MiB after 1 MiB until something stops it. Under a cgroup memory limit the kernel
// OOM-kills the workload (exit 137); it prints how far it got so a log shows the limit was hit.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  for (int mib = 1; mib <= 3000; ++mib) {
    char* p = malloc(1 << 20);
    if (!p) {
      printf("malloc failed at %d MiB\n", mib);
      return 1;
    }
    // One write per page through a volatile pointer: clang would otherwise drop a memset of memory
    // that is never read, and the pages would never be touched.
    volatile char* v = p;
    for (int i = 0; i < (1 << 20); i += 4096) v[i] = (char)mib;
    if (mib % 16 == 0) printf("%d MiB\n", mib), fflush(stdout);
  }
  return 0;
}
