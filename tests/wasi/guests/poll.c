// poll_oneoff: relative and absolute clock subscriptions, the earliest of several clocks, fd read
// readiness of stdin (data arriving late from the host) and of a regular file, fd write readiness
// of stdout, per-subscription errors (a bad fd) and whole-call errors.
// @run: --dir {tmp}::/sandbox {module}
// @setup: file data.txt 12345
// @stdin: ping\n
// @stdin-delay-ms: 1500
#include "wasi_test.h"

static __wasi_timestamp_t now_ns(void) {
  __wasi_timestamp_t t;
  MUST(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t));
  return t;
}

static __wasi_subscription_t clock_sub(__wasi_userdata_t ud, __wasi_timestamp_t timeout, int absolute) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.flags = absolute ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
  return s;
}

static __wasi_subscription_t fd_sub(__wasi_userdata_t ud, __wasi_eventtype_t type, __wasi_fd_t fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = type;
  if (type == __WASI_EVENTTYPE_FD_READ) s.u.u.fd_read.file_descriptor = fd;
  else s.u.u.fd_write.file_descriptor = fd;
  return s;
}

static const char* type_name(__wasi_eventtype_t t) {
  return t == __WASI_EVENTTYPE_CLOCK ? "clock" : t == __WASI_EVENTTYPE_FD_READ ? "fd_read" : "fd_write";
}

static void show(const char* label, __wasi_event_t* ev, __wasi_size_t n) {
  printf("%s: %lu event(s)", label, n);
  for (__wasi_size_t i = 0; i < n; ++i)
    printf(" [userdata %llu, %s, %s]", (unsigned long long)ev[i].userdata, type_name(ev[i].type), errname(ev[i].error));
  printf("\n");
}

int main(void) {
  const __wasi_timestamp_t ms = 1000000ull;
  __wasi_subscription_t subs[4];
  __wasi_event_t ev[4];
  __wasi_size_t n = 0;

  // 1. stdin: the host writes "ping\n" only ~1.5 s after start, so the poll has to wait for it.
  __wasi_timestamp_t t0 = now_ns();
  subs[0] = fd_sub(1, __WASI_EVENTTYPE_FD_READ, 0);
  subs[1] = clock_sub(2, 10000 * ms, 0);
  ERR("poll stdin + 10 s clock", __wasi_poll_oneoff(subs, ev, 2, &n));
  __wasi_timestamp_t waited = now_ns() - t0;
  show("stdin", ev, n);
  printf("waited for stdin (>= 200 ms, < 10 s): %s\n", waited >= 200 * ms && waited < 10000 * ms ? "yes" : "no");
  char buf[64];
  __wasi_size_t got;
  MUST(read_str(0, buf, sizeof buf, &got));
  printf("stdin said: %s", buf);
  // The host has closed stdin: end-of-file counts as readable, at once.
  t0 = now_ns();
  ERR("poll stdin at EOF", __wasi_poll_oneoff(subs, ev, 2, &n));
  show("stdin at EOF", ev, n);
  printf("immediate: %s\n", now_ns() - t0 < 5000 * ms ? "yes" : "no");

  // 2. One relative clock.
  t0 = now_ns();
  subs[0] = clock_sub(7, 50 * ms, 0);
  ERR("poll 50 ms", __wasi_poll_oneoff(subs, ev, 1, &n));
  show("clock", ev, n);
  printf("slept >= 50 ms: %s\n", now_ns() - t0 >= 50 * ms ? "yes" : "no");

  // 3. The earliest of two clocks fires alone.
  t0 = now_ns();
  subs[0] = clock_sub(10, 5000 * ms, 0);
  subs[1] = clock_sub(11, 30 * ms, 0);
  ERR("poll 5 s + 30 ms", __wasi_poll_oneoff(subs, ev, 2, &n));
  show("two clocks", ev, n);
  printf("woke before 5 s: %s\n", now_ns() - t0 < 5000 * ms ? "yes" : "no");

  // 4. Absolute deadlines: in the future (waits), in the past (fires at once).
  t0 = now_ns();
  subs[0] = clock_sub(20, t0 + 40 * ms, 1);
  ERR("poll absolute +40 ms", __wasi_poll_oneoff(subs, ev, 1, &n));
  show("absolute", ev, n);
  printf("reached the deadline: %s\n", now_ns() >= t0 + 40 * ms ? "yes" : "no");
  subs[0] = clock_sub(21, 1, 1);
  ERR("poll absolute in the past", __wasi_poll_oneoff(subs, ev, 1, &n));
  show("past", ev, n);

  // 5. A regular file is always readable; stdout is writable.
  int dir = find_preopen("/sandbox");
  __wasi_fd_t file;
  MUST(open_at(dir, "data.txt", 0, RIGHTS_ALL, 0, &file));
  subs[0] = fd_sub(30, __WASI_EVENTTYPE_FD_READ, file);
  subs[1] = clock_sub(31, 5000 * ms, 0);
  ERR("poll file read", __wasi_poll_oneoff(subs, ev, 2, &n));
  show("file", ev, n);
  subs[0] = fd_sub(40, __WASI_EVENTTYPE_FD_WRITE, 1);
  subs[1] = clock_sub(41, 5000 * ms, 0);
  ERR("poll stdout write", __wasi_poll_oneoff(subs, ev, 2, &n));
  show("stdout", ev, n);

  // 6. A bad descriptor is reported in its event, not as a failed call.
  subs[0] = fd_sub(50, __WASI_EVENTTYPE_FD_READ, 99);
  subs[1] = clock_sub(51, 5000 * ms, 0);
  ERR("poll bad fd", __wasi_poll_oneoff(subs, ev, 2, &n));
  show("bad fd", ev, n);

  // 7. Whole-call errors.
  ERR("poll zero subscriptions", __wasi_poll_oneoff(subs, ev, 0, &n));
  ERR("poll subscriptions out of bounds", __wasi_poll_oneoff((const __wasi_subscription_t*)0xFFFFFF00u, ev, 4, &n));
  ERR("poll events out of bounds", __wasi_poll_oneoff(subs, (__wasi_event_t*)0xFFFFFF00u, 2, &n));
  return 0;
}
