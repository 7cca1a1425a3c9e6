// WAGI test guest: the path below the route's wildcard (PATH_INFO) picks the behaviour under test.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  const char* p = getenv("PATH_INFO");
  if (!p) p = "";
  if (!strcmp(p, "/env")) {  // every CGI variable and argv element, one per line
    printf("Content-Type: text/plain\n\n");
    for (char** e = environ; *e; ++e) printf("%s\n", *e);
    for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  } else if (!strcmp(p, "/echo")) {  // request body back, byte for byte
    printf("Content-Type: application/octet-stream\n\n");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
  } else if (!strcmp(p, "/status")) {
    printf("Status: 201 Created\nX-Custom: yes\n\ncreated");
  } else if (!strcmp(p, "/location")) {
    printf("Location: /elsewhere\n\n");
  } else if (!strcmp(p, "/crlf")) {
    printf("Content-Type: text/html\r\nX-A: 1\r\nnot a header line\r\nX-A: 2\r\n\r\nbody\r\nline2");
  } else if (!strcmp(p, "/noheaders")) {
    printf("hello without headers");
  } else if (!strcmp(p, "/badstatus")) {
    printf("Status: abc\n\n");
  } else if (!strcmp(p, "/exit3")) {
    printf("Content-Type: text/plain\n\npartial");
    fflush(stdout);
    exit(3);
  } else if (!strcmp(p, "/loop")) {
    volatile unsigned long n = 0;
    for (;;) ++n;
  } else if (!strcmp(p, "/trap")) {
    __builtin_trap();
  } else if (!strcmp(p, "/flood")) {  // more output than the host's stdout cap
    printf("Content-Type: text/plain\n\n");
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 1024; ++i)
      if (fwrite(chunk, 1, sizeof chunk, stdout) != sizeof chunk) break;
  } else if (!strcmp(p, "/grow")) {  // asks for far more memory than the host's limit
    // volatile: otherwise the compiler may drop an unused allocation and assume it succeeded.
    char* volatile big = malloc(512u * 1024 * 1024);
    if (big) big[512u * 1024 * 1024 - 1] = 1;
    printf("Content-Type: text/plain\n\n%s", big ? "allocated" : "refused");
  } else if (!strcmp(p, "/peek")) {  // reads its own stdout past what it wrote: must see no old bytes
    printf("Content-Type: text/plain\n\n");
    fflush(stdout);
    static char buf[4096];
    ssize_t n = pread(1, buf, sizeof buf, 64);
    int nonzero = 0;
    for (ssize_t i = 0; i < n; ++i) nonzero += buf[i] != 0;
    if (n < 0) printf("unreadable");
    else printf("nonzero=%d", nonzero);
  } else if (!strcmp(p, "/scribble")) {  // leaves a secret two pages out, then ends its output early
    printf("Content-Type: text/plain\n\nok");
    fflush(stdout);
    off_t end = lseek(1, 0, SEEK_CUR);
    lseek(1, 8192, SEEK_SET);
    write(1, "SECRET", 6);
    lseek(1, end, SEEK_SET);
  } else if (!strcmp(p, "/gap")) {  // its output spans bytes it never wrote: they must be zeros
    printf("Content-Type: text/plain\n\n");
    fflush(stdout);
    lseek(1, 8192 + 6, SEEK_SET);
    write(1, "|", 1);
  } else if (!strcmp(p, "/staged")) {  // files staged from a glob into the guest root
    FILE* f = fopen("/notes/note.txt", "r");
    FILE* hidden = fopen("/spin.toml", "r");  // not matched by the glob: must not be visible
    char buf[64] = {0};
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    printf("Content-Type: text/plain\n\n%s|manifest:%s", f ? buf : "missing", hidden ? "visible" : "hidden");
    (void)n;
  } else if (!strcmp(p, "/file")) {  // a file mounted through the manifest's `files`
    FILE* f = fopen("/data/greeting.txt", "r");
    if (!f) {
      printf("Status: 404\nContent-Type: text/plain\n\nno file");
      return 0;
    }
    char buf[256] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    FILE* w = fopen("/data/new.txt", "w");  // must fail: mounts are read-only
    printf("Content-Type: text/plain\n\n%.*s|write:%s", (int)n, buf, w ? "allowed" : "denied");
  } else {
    printf("Content-Type: text/plain\n\npath_info=%s", p);
  }
  return 0;
}
