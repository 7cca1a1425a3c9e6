// A WASI guest for the Container tests (tests/shim/test_container.cpp). argv[1] picks the behaviour:
//   hello CODE       print "hello $GREETING argc=N" to stdout, "to stderr" to stderr, exit CODE
//   sleep            block (until killed)
//   oom              allocate and touch memory until the memory cgroup's OOM killer ends us
//   cat FILE         copy FILE to stdout (checks the rootfs preopen and bind mounts)
//   stdin            copy stdin to stdout until EOF
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "hello";
  if (strcmp(mode, "hello") == 0) {
    const char* g = getenv("GREETING");
    printf("hello %s argc=%d argv0=%s\n", g ? g : "(unset)", argc, argv[0]);
    fprintf(stderr, "to stderr\n");
    return argc > 2 ? atoi(argv[2]) : 0;
  }
  if (strcmp(mode, "sleep") == 0) {
    for (;;) {
      struct timespec ts = {1, 0};
      nanosleep(&ts, NULL);
    }
  }
  if (strcmp(mode, "oom") == 0) {
    // 1 MiB at a time, every page written: only touched pages count against the cgroup.
    // volatile + a checksum printed at the end: the compiler must not drop the unused allocations.
    unsigned sum = 0;
    for (int i = 0; i < 2048; ++i) {
      volatile char* p = malloc(1 << 20);
      if (!p) {
        printf("malloc failed after %d MiB\n", i);
        return 3;
      }
      for (int j = 0; j < (1 << 20); j += 4096) p[j] = (char)(i + j);
      sum += (unsigned char)p[4096];
    }
    printf("allocated 2 GiB without being killed (%u)\n", sum);
    return 4;
  }
  if (strcmp(mode, "cat") == 0 && argc > 2) {
    FILE* f = fopen(argv[2], "r");
    if (!f) {
      printf("cannot open %s\n", argv[2]);
      return 2;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
  }
  if (strcmp(mode, "stdin") == 0) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
    return 0;
  }
  printf("unknown mode %s\n", mode);
  return 1;
}
