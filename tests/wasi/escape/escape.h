// Helpers for the escape corpus (owner: wasi). Each guest tries ways out of its preopen with the raw
// wasi_snapshot_preview1 calls and prints "what it tried: ERRNO". Every file outside the sandbox
// holds the text OUTSIDE and every directory outside holds an entry named OUTSIDE_MARKER, so any
// successful read or listing of one is detected and counted as an escape; the last line printed is
// "escapes: N" and the exit status is 1 when N > 0. The expected stdout next to each guest is the
// specification; the case's @check lines verify nothing outside was created, changed or removed.
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "../guests/wasi_test.h"  // errname(), RIGHTS_ALL: shared with the functional guests

static int g_escapes = 0;

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define NOFOLLOW 0

// Prints "label: ERRNO" and returns the errno.
static inline __wasi_errno_t report(const char* label, __wasi_errno_t e) {
  printf("%s: %s\n", label, errname(e));
  return e;
}

// The preopen named `name`, or exits: without it the test means nothing.
static inline __wasi_fd_t preopen(const char* name) {
  for (__wasi_fd_t fd = 3; fd < 64; ++fd) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) != 0) break;
    char buf[256];
    if (ps.u.dir.pr_name_len >= sizeof buf) continue;
    if (__wasi_fd_prestat_dir_name(fd, (uint8_t*)buf, ps.u.dir.pr_name_len) != 0) continue;
    buf[ps.u.dir.pr_name_len] = 0;
    if (strcmp(buf, name) == 0) return fd;
  }
  printf("FATAL: no preopen %s\n", name);
  exit(99);
}

// Looks at whatever an opened fd gives access to: a file's first bytes or a directory's names.
// Anything from outside the sandbox counts as an escape.
static inline void inspect(const char* label, __wasi_fd_t fd) {
  __wasi_fdstat_t st;
  if (__wasi_fd_fdstat_get(fd, &st) != 0) return;
  if (st.fs_filetype == __WASI_FILETYPE_DIRECTORY) {
    uint8_t buf[4096];
    __wasi_size_t used = 0;
    if (__wasi_fd_readdir(fd, buf, sizeof buf, 0, &used) != 0) return;
    for (__wasi_size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
      __wasi_dirent_t d;
      memcpy(&d, buf + off, sizeof d);
      off += sizeof d;
      if (d.d_namlen == 14 && off + 14 <= used && memcmp(buf + off, "OUTSIDE_MARKER", 14) == 0) {
        printf("ESCAPE (%s): listed a directory outside the sandbox\n", label);
        ++g_escapes;
      }
      off += d.d_namlen;
    }
  } else {
    char buf[64] = {0};
    __wasi_iovec_t iov = {(uint8_t*)buf, sizeof buf - 1};
    __wasi_size_t n = 0;
    if (__wasi_fd_pread(fd, &iov, 1, 0, &n) != 0 && __wasi_fd_read(fd, &iov, 1, &n) != 0) return;
    if (strstr(buf, "OUTSIDE") != NULL) {
      printf("ESCAPE (%s): read a file outside the sandbox\n", label);
      ++g_escapes;
    }
  }
}

// path_open + inspect + close. Prints "label: ERRNO".
static inline __wasi_errno_t try_open(const char* label, __wasi_fd_t dir, const char* path,
                                      __wasi_lookupflags_t lookup, __wasi_oflags_t oflags,
                                      __wasi_rights_t rights) {
  __wasi_fd_t fd;
  __wasi_errno_t e = __wasi_path_open(dir, lookup, path, oflags, rights, rights, 0, &fd);
  report(label, e);
  if (e == 0) {
    inspect(label, fd);
    (void)__wasi_fd_close(fd);
  }
  return e;
}

// Read-only rights: enough to read files and list directories.
#define READ_RIGHTS (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_SEEK)

static inline int finish(void) {
  printf("escapes: %d\n", g_escapes);
  return g_escapes == 0 ? 0 : 1;
}
