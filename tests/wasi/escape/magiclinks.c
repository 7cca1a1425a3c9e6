// Magic links: with /proc granted, its per-process links (root, cwd, exe, fd/N) point anywhere in the
// host. The walk refuses them because their targets read as absolute paths; openat2 refuses them
// with RESOLVE_NO_MAGICLINKS (ELOOP) or RESOLVE_BENEATH (EXDEV). The errno therefore differs by
// resolver, so this guest prints only whether each attempt was refused; any success is an escape.
// @run: --dir /proc::/proc {module}
#include "escape.h"

static void attempt(__wasi_fd_t d, const char* path, __wasi_lookupflags_t lookup, __wasi_oflags_t oflags) {
  __wasi_fd_t fd;
  __wasi_errno_t e = __wasi_path_open(d, lookup, path, oflags, READ_RIGHTS, READ_RIGHTS, 0, &fd);
  if (e == 0) {
    printf("open %s: ESCAPE (opened)\n", path);
    ++g_escapes;
    (void)__wasi_fd_close(fd);
  } else {
    printf("open %s: refused\n", path);
  }
}

int main(void) {
  __wasi_fd_t d = preopen("/proc");
  attempt(d, "self/root/etc/hostname", FOLLOW, 0);
  attempt(d, "self/root", FOLLOW, __WASI_OFLAGS_DIRECTORY);
  attempt(d, "self/root/", 0, 0);
  attempt(d, "self/cwd", FOLLOW, __WASI_OFLAGS_DIRECTORY);
  attempt(d, "self/cwd/..", 0, __WASI_OFLAGS_DIRECTORY);
  attempt(d, "self/exe", FOLLOW, 0);
  attempt(d, "self/fd/3", FOLLOW, __WASI_OFLAGS_DIRECTORY);
  attempt(d, "self/fd/3/..", 0, __WASI_OFLAGS_DIRECTORY);
  attempt(d, "self/fd/0", FOLLOW, 0);
  attempt(d, "thread-self/root/etc/hostname", FOLLOW, 0);
  attempt(d, "1/root/etc/hostname", FOLLOW, 0);
  attempt(d, "self/task/../root/etc", 0, __WASI_OFLAGS_DIRECTORY);
  // Ordinary /proc files stay readable: the grant is honoured, only the links out are not.
  __wasi_fd_t fd;
  report("open self/status", __wasi_path_open(d, FOLLOW, "self/status", 0, READ_RIGHTS, 0, 0, &fd));
  return finish();
}
