// Sockets on a pre-opened listener (--tcplisten): poll for a pending connection, sock_accept,
// sock_recv to end-of-stream, sock_send, sock_shutdown, for two clients in turn; plus the errors of
// socket calls on descriptors that are not sockets. The test's TCP client sends "ping" then "second".
// @run: --tcplisten 127.0.0.1:{port} {module}
// @tcp: ping => pong: ping
// @tcp: second => pong: second
#include "wasi_test.h"

static void serve(__wasi_fd_t listener, int round) {
  __wasi_subscription_t subs[2];
  memset(subs, 0, sizeof subs);
  subs[0].userdata = 1;
  subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[0].u.u.fd_read.file_descriptor = listener;
  subs[1].userdata = 2;
  subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[1].u.u.clock.timeout = 20000000000ull;
  __wasi_event_t ev[2];
  __wasi_size_t n;
  MUST(__wasi_poll_oneoff(subs, ev, 2, &n));
  printf("round %d: listener readable: %s\n", round, n >= 1 && ev[0].userdata == 1 ? "yes" : "no");

  __wasi_fd_t conn;
  ERR("sock_accept", __wasi_sock_accept(listener, 0, &conn));
  __wasi_fdstat_t st;
  MUST(__wasi_fd_fdstat_get(conn, &st));
  printf("accepted a %s\n", filetype_name(st.fs_filetype));
  char data[256];
  size_t total = 0;
  for (;;) {
    __wasi_iovec_t iov = {(uint8_t*)data + total, sizeof data - 1 - total};
    __wasi_size_t got = 0;
    __wasi_roflags_t roflags = 0;
    __wasi_errno_t e = __wasi_sock_recv(conn, &iov, 1, 0, &got, &roflags);
    if (e != 0) {
      printf("sock_recv: %s\n", errname(e));
      break;
    }
    if (got == 0) break;
    total += got;
  }
  data[total] = 0;
  printf("received: [%s]\n", data);
  char reply[300];
  snprintf(reply, sizeof reply, "pong: %s", data);
  __wasi_ciovec_t out = {(const uint8_t*)reply, strlen(reply)};
  __wasi_size_t sent = 0;
  ERR("sock_send", __wasi_sock_send(conn, &out, 1, 0, &sent));
  printf("sent %lu bytes\n", sent);
  ERR("sock_shutdown wr", __wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR));
  ERR("fd_close", __wasi_fd_close(conn));
}

int main(void) {
  __wasi_fdstat_t st;
  ERR("fdstat fd 3", __wasi_fd_fdstat_get(3, &st));
  printf("fd 3 is a %s\n", filetype_name(st.fs_filetype));
  __wasi_prestat_t ps;
  ERR("prestat_get fd 3 (not a directory)", __wasi_fd_prestat_get(3, &ps));
  ERR("fdstat fd 4 (nothing more granted)", __wasi_fd_fdstat_get(4, &st));

  __wasi_fd_t conn;
  ERR("sock_accept on stdout", __wasi_sock_accept(1, 0, &conn));
  __wasi_size_t got;
  __wasi_roflags_t roflags;
  char b[4];
  __wasi_iovec_t iov = {(uint8_t*)b, sizeof b};
  ERR("sock_recv on stdout", __wasi_sock_recv(1, &iov, 1, 0, &got, &roflags));
  ERR("sock_shutdown on stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_RD));
  ERR("sock_accept on a bad fd", __wasi_sock_accept(77, 0, &conn));

  serve(3, 1);
  serve(3, 2);
  return 0;
}
