// e2e guest: touches 1 MiB after 1 MiB until something stops it. Under a cgroup memory limit the kernel
// OOM-kills the workload (exit 137); it prints how far it got so a log shows the limit was hit.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  for (int mib = 1; mib <= 3000; ++mib) {
    char* p = malloc(1 << 20);
    if (!p) {
      printf("malloc failed at %d MiB\n", mib);
      return 1;
    }
    memset(p, mib, 1 << 20);
    if (mib % 16 == 0) printf("%d MiB\n", mib), fflush(stdout);
  }
  return 0;
}
