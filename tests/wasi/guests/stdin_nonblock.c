// stdin made non-blocking with fd_fdstat_set_flags: a read with nothing there yet fails EAGAIN
// instead of blocking, poll_oneoff then waits for the data (the host writes it after 1.5 s).
// @stdin: late data\n
// @stdin-delay-ms: 1500
#include "wasi_test.h"

int main(void) {
  ERR("fd_fdstat_set_flags stdin nonblock", __wasi_fd_fdstat_set_flags(0, __WASI_FDFLAGS_NONBLOCK));
  __wasi_fdstat_t st;
  MUST(__wasi_fd_fdstat_get(0, &st));
  printf("stdin flags: %u\n", st.fs_flags);
  char buf[64];
  __wasi_size_t n = 0;
  ERR("fd_read with nothing there", read_str(0, buf, sizeof buf, &n));
  __wasi_subscription_t sub;
  memset(&sub, 0, sizeof sub);
  sub.u.tag = __WASI_EVENTTYPE_FD_READ;
  sub.u.u.fd_read.file_descriptor = 0;
  __wasi_event_t ev;
  ERR("poll stdin", __wasi_poll_oneoff(&sub, &ev, 1, &n));
  ERR("fd_read after poll", read_str(0, buf, sizeof buf, &n));
  printf("read: %s", buf);
  ERR("fd_fdstat_set_flags stdin blocking", __wasi_fd_fdstat_set_flags(0, 0));
  ERR("fd_read to EOF", read_str(0, buf, sizeof buf, &n));
  printf("bytes: %lu\n", (unsigned long)n);
  return 0;
}
