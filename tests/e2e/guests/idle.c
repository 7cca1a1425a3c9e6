// e2e guest: holds 8 MiB of touched memory and burns a little CPU, then sleeps, until killed — a running
// task for `ctr task metrics` to look at.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void) {
  // Touch every page through a volatile pointer so the compiler cannot elide the writes.
  volatile char* p = malloc(8 << 20);
  for (int i = 0; i < (8 << 20); i += 4096) p[i] = 7;
  volatile unsigned x = 0;
  for (unsigned i = 0; i < 20000000u; ++i) x += i;
  printf("ready\n");
  fflush(stdout);
  struct timespec ts = {1, 0};
  for (int i = 0; i < 600; ++i) nanosleep(&ts, 0);
  return p[100] + (int)(x & 0);
}
