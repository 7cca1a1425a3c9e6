// Standard streams: stdin is read to EOF (fd_read returns 0 at the end), stdout and stderr are the
// host's, and the stdio descriptors report sensible fdstat / seek behaviour.
// @stdin: first line\nsecond line\n
// @stderr: to stderr via fd_write
#include <ctype.h>

#include "wasi_test.h"

int main(void) {
  char buf[256];
  size_t total = 0;
  __wasi_size_t n = 0;
  char all[1024];
  for (;;) {
    __wasi_errno_t e = read_str(0, buf, sizeof buf, &n);
    if (e != 0) {
      printf("fd_read stdin: %s\n", errname(e));
      break;
    }
    if (n == 0) break;
    memcpy(all + total, buf, n);
    total += n;
  }
  all[total] = 0;
  printf("stdin bytes: %zu\n", total);
  for (size_t i = 0; i < total; ++i) all[i] = (char)toupper((unsigned char)all[i]);
  printf("%s", all);
  __wasi_size_t again = 99;
  ERR("fd_read after EOF", read_str(0, buf, sizeof buf, &again));
  printf("bytes after EOF: %lu\n", again);
  fflush(stdout);

  // Raw fd_write with two iovecs, to stdout and to stderr.
  __wasi_ciovec_t iov[2] = {{(const uint8_t*)"two ", 4}, {(const uint8_t*)"iovecs\n", 7}};
  __wasi_size_t written = 0;
  ERR("fd_write stdout", __wasi_fd_write(1, iov, 2, &written));
  printf("written: %lu\n", written);
  fflush(stdout);
  ERR("fd_write stderr", write_str(2, "to stderr via fd_write\n", &written));
  // An iovec that points outside memory is refused before anything is written.
  __wasi_ciovec_t bad = {(const uint8_t*)0xFFFFFFF0u, 64};
  ERR("fd_write bad iovec", __wasi_fd_write(1, &bad, 1, &written));
  ERR("fd_write iovec array out of bounds", __wasi_fd_write(1, (const __wasi_ciovec_t*)0xFFFFFFF8u, 2, &written));
  ERR("fd_write zero iovecs", __wasi_fd_write(1, iov, 0, &written));
  printf("written: %lu\n", written);

  // stdin is a pipe here: not seekable.
  __wasi_filesize_t pos;
  ERR("fd_seek stdin", __wasi_fd_seek(0, 0, __WASI_WHENCE_CUR, &pos));
  __wasi_fdstat_t st;
  ERR("fd_fdstat_get stdout", __wasi_fd_fdstat_get(1, &st));
  printf("stdout has FD_WRITE right: %s\n", (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) ? "yes" : "no");
  ERR("fd_fdstat_get stdin", __wasi_fd_fdstat_get(0, &st));
  printf("stdin has FD_READ right: %s\n", (st.fs_rights_base & __WASI_RIGHTS_FD_READ) ? "yes" : "no");
  ERR("fd_write to an unopened fd", write_str(77, "x", &written));
  ERR("fd_read from an unopened fd", read_str(77, buf, sizeof buf, &n));
  return 0;
}
