// shim test guest: announces itself and sleeps until a signal ends it (Kill, exec-free running task).
#include <stdio.h>
#include <time.h>

int main(void) {
  printf("sleeping\n");
  fflush(stdout);
  struct timespec ts = {1, 0};
  for (int i = 0; i < 3600; ++i) nanosleep(&ts, 0);
  return 0;
}
