// Socket details on a pre-opened listener: accept on a listener made non-blocking with nothing
// pending (EAGAIN; sock_accept's own flags are those of the new descriptor),
// poll readiness of the listener and of the connection, MSG_PEEK (data stays queued), shutdown of
// the read side, send after the peer half-closed, and fd_write/fd_read on a socket descriptor.
// The client connects only after 1.5 s, sends "abcdef" and half-closes.
// @run: --tcplisten 127.0.0.1:{port} {module}
// @tcp-delay-ms: 1500
// @tcp: abcdef => peeked abc, read abcdef, via fd_write
#include "wasi_test.h"

static void wait_readable(__wasi_fd_t fd, const char* label) {
  __wasi_subscription_t subs[2];
  memset(subs, 0, sizeof subs);
  subs[0].userdata = 1;
  subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[0].u.u.fd_read.file_descriptor = fd;
  subs[1].userdata = 2;
  subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[1].u.u.clock.timeout = 20000000000ull;
  __wasi_event_t ev[2];
  __wasi_size_t n = 0;
  MUST(__wasi_poll_oneoff(subs, ev, 2, &n));
  printf("%s readable: %s\n", label, n >= 1 && ev[0].userdata == 1 && ev[0].error == 0 ? "yes" : "no");
}

int main(void) {
  __wasi_fd_t conn;
  ERR("fd_fdstat_set_flags listener nonblock", __wasi_fd_fdstat_set_flags(3, __WASI_FDFLAGS_NONBLOCK));
  ERR("sock_accept, nothing pending", __wasi_sock_accept(3, 0, &conn));
  MUST(__wasi_fd_fdstat_set_flags(3, 0));
  wait_readable(3, "listener");
  ERR("sock_accept with NONBLOCK for the new fd", __wasi_sock_accept(3, __WASI_FDFLAGS_NONBLOCK, &conn));
  __wasi_fdstat_t st;
  MUST(__wasi_fd_fdstat_get(conn, &st));
  printf("connection flags: %u\n", st.fs_flags);
  wait_readable(conn, "connection");
  ERR("fd_fdstat_set_flags connection blocking", __wasi_fd_fdstat_set_flags(conn, 0));
  // Wait until the whole message is there (the client sends it in one write, then half-closes).
  char buf[64];
  __wasi_size_t got = 0;
  __wasi_roflags_t ro = 0;
  __wasi_iovec_t peek = {(uint8_t*)buf, 3};
  ERR("sock_recv peek 3", __wasi_sock_recv(conn, &peek, 1, __WASI_RIFLAGS_RECV_PEEK, &got, &ro));
  char peeked[8] = {0};
  memcpy(peeked, buf, got);
  __wasi_iovec_t all = {(uint8_t*)buf, 6};
  ERR("sock_recv waitall 6", __wasi_sock_recv(conn, &all, 1, __WASI_RIFLAGS_RECV_WAITALL, &got, &ro));
  buf[got] = 0;
  printf("peeked [%s], then read [%s]\n", peeked, buf);
  __wasi_iovec_t more = {(uint8_t*)buf, sizeof buf};
  ERR("sock_recv at end of stream", __wasi_sock_recv(conn, &more, 1, 0, &got, &ro));
  printf("bytes at end of stream: %lu\n", (unsigned long)got);
  char reply[64];
  snprintf(reply, sizeof reply, "peeked %s, read %s", peeked, "abcdef");
  __wasi_ciovec_t out = {(const uint8_t*)reply, strlen(reply)};
  __wasi_size_t sent = 0;
  ERR("sock_send after the peer half-closed", __wasi_sock_send(conn, &out, 1, 0, &sent));
  ERR("fd_write on the socket", write_str(conn, ", via fd_write", &sent));
  ERR("sock_shutdown rd|wr", __wasi_sock_shutdown(conn, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR));
  ERR("sock_shutdown bad flags", __wasi_sock_shutdown(conn, 4));
  ERR("fd_close", __wasi_fd_close(conn));
  ERR("sock_recv on the closed fd", __wasi_sock_recv(conn, &more, 1, 0, &got, &ro));
  return 0;
}
