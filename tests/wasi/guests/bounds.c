// Hostile arguments: counts and offsets chosen to overflow or to make the host allocate without
// bound. Each must fail fast with an errno (never a host crash, hang or huge allocation).
// @run: --dir {tmp}::/sandbox {module}
#include "wasi_test.h"

#define RAW(name, ...) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name))) int32_t raw_##name(__VA_ARGS__)
RAW(fd_write, int32_t fd, int32_t iovs, int32_t n, int32_t out);
RAW(fd_read, int32_t fd, int32_t iovs, int32_t n, int32_t out);
RAW(random_get, int32_t p, int32_t n);
RAW(poll_oneoff, int32_t in, int32_t out, int32_t n, int32_t res);
RAW(path_open, int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags, int64_t rb, int64_t ri,
    int32_t fdflags, int32_t result_fd);
RAW(path_create_directory, int32_t fd, int32_t path, int32_t path_len);

int main(void) {
  int d = find_preopen("/sandbox");
  static uint32_t out;
  // iovec arrays whose size overflows 32 bits, or reaches far past the end of memory.
  printf("fd_write iovs_len 0x1FFFFFFF: %s\n", errname(raw_fd_write(1, 0, 0x1FFFFFFF, (int32_t)&out)));
  printf("fd_write iovs_len 0x80000000: %s\n", errname(raw_fd_write(1, 16, (int32_t)0x80000000u, (int32_t)&out)));
  printf("fd_read iovs_len 0xFFFFFFFF: %s\n", errname(raw_fd_read(0, 16, -1, (int32_t)&out)));
  printf("poll_oneoff nsubscriptions 0x7FFFFFFF: %s\n", errname(raw_poll_oneoff(0, 0, 0x7FFFFFFF, (int32_t)&out)));
  // Zero-length buffers: fine up to the end of memory, refused past it.
  int32_t end = (int32_t)(__builtin_wasm_memory_size(0) * 65536);
  printf("random_get 0 bytes at the end of memory: %s\n", errname(raw_random_get(end, 0)));
  printf("random_get 1 byte at the end of memory: %s\n", errname(raw_random_get(end, 1)));
  // File offsets and lengths that overflow int64 / off_t.
  __wasi_fd_t fd;
  MUST(open_at(d, "f", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, &fd));
  __wasi_filesize_t pos;
  __wasi_size_t n;
  MUST(write_str(fd, "x", &n));
  printf("fd_seek cur +INT64_MAX: %s\n", errname(__wasi_fd_seek(fd, 0x7FFFFFFFFFFFFFFFll, __WASI_WHENCE_CUR, &pos)));
  printf("fd_seek end -2: %s\n", errname(__wasi_fd_seek(fd, -2, __WASI_WHENCE_END, &pos)));
  printf("fd_filestat_set_size 2^63: %s\n", errname(__wasi_fd_filestat_set_size(fd, 0x8000000000000000ull)));
  printf("fd_advise offset+len overflow: %s\n", errname(__wasi_fd_advise(fd, 0xFFFFFFFFFFFFFFF0ull, 0x100, 0)));
  printf("fd_allocate offset+len overflow: %s\n", errname(__wasi_fd_allocate(fd, 0xFFFFFFFFFFFFFFF0ull, 0x100)));
  printf("fd_pread at 2^63: %s\n", errname(__wasi_fd_pread(fd, &(__wasi_iovec_t){(uint8_t*)&pos, 1}, 1, 0x8000000000000000ull, &n)));
  printf("fd_pwrite at 2^63: %s\n", errname(__wasi_fd_pwrite(fd, &(__wasi_ciovec_t){(const uint8_t*)&pos, 1}, 1, 0x8000000000000000ull, &n)));
  __wasi_filestat_t st;
  MUST(__wasi_fd_filestat_get(fd, &st));
  printf("file size unchanged: %llu\n", (unsigned long long)st.size);
  // Paths with an embedded NUL are refused (the host never sees a truncated name).
  static const char p[] = "f\0/../../../etc/passwd";
  printf("path_open with NUL: %s\n", errname(raw_path_open(d, 0, (int32_t)p, sizeof p - 1, 0, RIGHTS_ALL, RIGHTS_ALL, 0, (int32_t)&out)));
  static const char q[] = "newdir\0suffix";
  printf("path_create_directory with NUL: %s\n", errname(raw_path_create_directory(d, (int32_t)q, sizeof q - 1)));
  // Subscriptions: an unknown event type fails the call, an unknown clock fails its event.
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  __wasi_event_t ev;
  memset(&ev, 0, sizeof ev);
  s.u.tag = 9;
  printf("poll_oneoff unknown event type: %s\n", errname(__wasi_poll_oneoff(&s, &ev, 1, &n)));
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = 99;
  __wasi_errno_t e = __wasi_poll_oneoff(&s, &ev, 1, &n);
  printf("poll_oneoff unknown clock: %s, %lu event with %s\n", errname(e), (unsigned long)n, errname(ev.error));
  return 0;
}
