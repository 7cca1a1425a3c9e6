// Helpers for the WASI guest tests (owner: run). Guests call the raw wasi_snapshot_preview1 imports
// (<wasi/api.h>) so the exact errno of every call is visible, and print one line per check:
// "label: ENAME" or "label: value". The expected output next to each guest is the specification.
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static const char* const kErrnoNames[] = {
    "ESUCCESS", "E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EAGAIN", "EALREADY",
    "EBADF", "EBADMSG", "EBUSY", "ECANCELED", "ECHILD", "ECONNABORTED", "ECONNREFUSED", "ECONNRESET",
    "EDEADLK", "EDESTADDRREQ", "EDOM", "EDQUOT", "EEXIST", "EFAULT", "EFBIG", "EHOSTUNREACH", "EIDRM",
    "EILSEQ", "EINPROGRESS", "EINTR", "EINVAL", "EIO", "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMLINK",
    "EMSGSIZE", "EMULTIHOP", "ENAMETOOLONG", "ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE", "ENOBUFS",
    "ENODEV", "ENOENT", "ENOEXEC", "ENOLCK", "ENOLINK", "ENOMEM", "ENOMSG", "ENOPROTOOPT", "ENOSPC",
    "ENOSYS", "ENOTCONN", "ENOTDIR", "ENOTEMPTY", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP", "ENOTTY",
    "ENXIO", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPIPE", "EPROTO", "EPROTONOSUPPORT", "EPROTOTYPE",
    "ERANGE", "EROFS", "ESPIPE", "ESRCH", "ESTALE", "ETIMEDOUT", "ETXTBSY", "EXDEV", "ENOTCAPABLE"};

static inline const char* errname(__wasi_errno_t e) {
  return e < sizeof kErrnoNames / sizeof kErrnoNames[0] ? kErrnoNames[e] : "E?";
}

// Prints "label: ENAME" for a call's errno.
#define ERR(label, call) printf("%s: %s\n", (label), errname(call))

// Aborts the test (exit 99) when a call that must succeed fails: the rest would be meaningless.
#define MUST(call)                                                                     \
  do {                                                                                 \
    __wasi_errno_t must_e_ = (call);                                                   \
    if (must_e_ != 0) {                                                                \
      printf("FATAL %s:%d: %s -> %s\n", __FILE__, __LINE__, #call, errname(must_e_));  \
      fflush(stdout);                                                                  \
      __wasi_proc_exit(99);                                                            \
    }                                                                                  \
  } while (0)

#define RIGHTS_ALL ((__wasi_rights_t)0x1FFFFFFF)
// Everything but the rights that need a writable host descriptor: asking for those on a directory
// is EISDIR (as on POSIX and in wasmtime).
#define DIR_RIGHTS                                                                                   \
  (RIGHTS_ALL & ~(__WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE |   \
                  __WASI_RIGHTS_FD_FILESTAT_SET_SIZE))

// The first preopened directory whose name is `name` (fds 3, 4, ...), or -1.
static inline int find_preopen(const char* name) {
  for (__wasi_fd_t fd = 3; fd < 64; ++fd) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) != 0) break;
    char buf[256];
    if (ps.u.dir.pr_name_len >= sizeof buf) continue;
    if (__wasi_fd_prestat_dir_name(fd, (uint8_t*)buf, ps.u.dir.pr_name_len) != 0) continue;
    buf[ps.u.dir.pr_name_len] = 0;
    if (strcmp(buf, name) == 0) return (int)fd;
  }
  return -1;
}

static inline __wasi_errno_t open_at(__wasi_fd_t dir, const char* path, __wasi_oflags_t oflags,
                                     __wasi_rights_t rights, __wasi_fdflags_t fdflags, __wasi_fd_t* out) {
  return __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags, rights, rights, fdflags, out);
}

static inline __wasi_errno_t write_str(__wasi_fd_t fd, const char* s, __wasi_size_t* n) {
  __wasi_ciovec_t iov = {(const uint8_t*)s, strlen(s)};
  return __wasi_fd_write(fd, &iov, 1, n);
}

// Reads up to cap-1 bytes into buf and NUL-terminates; returns the errno.
static inline __wasi_errno_t read_str(__wasi_fd_t fd, char* buf, size_t cap, __wasi_size_t* n) {
  __wasi_iovec_t iov = {(uint8_t*)buf, cap - 1};
  __wasi_errno_t e = __wasi_fd_read(fd, &iov, 1, n);
  buf[e == 0 ? *n : 0] = 0;
  return e;
}

static inline const char* filetype_name(__wasi_filetype_t t) {
  switch (t) {
    case __WASI_FILETYPE_UNKNOWN: return "unknown";
    case __WASI_FILETYPE_BLOCK_DEVICE: return "block_device";
    case __WASI_FILETYPE_CHARACTER_DEVICE: return "character_device";
    case __WASI_FILETYPE_DIRECTORY: return "directory";
    case __WASI_FILETYPE_REGULAR_FILE: return "regular_file";
    case __WASI_FILETYPE_SOCKET_DGRAM: return "socket_dgram";
    case __WASI_FILETYPE_SOCKET_STREAM: return "socket_stream";
    case __WASI_FILETYPE_SYMBOLIC_LINK: return "symbolic_link";
  }
  return "?";
}
