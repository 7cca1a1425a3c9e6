// path_open: every oflag (creat, excl, trunc, directory), fdflags (append, nonblock), lookup flags
// (symlink follow or not) and the errors each combination must give.
// @run: --dir {tmp}::/sandbox {module}
// @setup: file existing.txt abcdef
// @setup: mkdir sub
// @setup: symlink existing.txt link
// @setup: symlink loop2 loop1
// @setup: symlink loop1 loop2
// @check: file appended.txt 1234XY
// @check: size existing.txt 0
#include "wasi_test.h"

// The raw import (libc's wrapper would strlen() a bad path pointer itself and trap first).
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")))
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags, int64_t rights_base,
                      int64_t rights_inheriting, int32_t fdflags, int32_t result_fd);

static void show_type(const char* label, __wasi_fd_t fd) {
  __wasi_fdstat_t st;
  MUST(__wasi_fd_fdstat_get(fd, &st));
  printf("%s: %s, flags %u\n", label, filetype_name(st.fs_filetype), st.fs_flags);
}

int main(void) {
  int d = find_preopen("/sandbox");
  __wasi_fd_t fd, fd2;
  const __wasi_lookupflags_t follow = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
  ERR("open missing", open_at(d, "missing.txt", 0, RIGHTS_ALL, 0, &fd));
  ERR("open missing creat", open_at(d, "new.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, &fd));
  show_type("new.txt", fd);
  ERR("open new.txt creat|excl", open_at(d, "new.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_ALL, 0, &fd2));
  ERR("open other.txt creat|excl", open_at(d, "other.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_ALL, 0, &fd2));
  MUST(__wasi_fd_close(fd2));

  // existing.txt: read it, then truncate it by opening with TRUNC.
  char buf[64];
  __wasi_size_t n;
  ERR("open existing.txt", open_at(d, "existing.txt", 0, RIGHTS_ALL, 0, &fd));
  MUST(read_str(fd, buf, sizeof buf, &n));
  printf("existing.txt: [%s]\n", buf);
  ERR("open existing.txt trunc", open_at(d, "existing.txt", __WASI_OFLAGS_TRUNC, RIGHTS_ALL, 0, &fd2));
  __wasi_filestat_t st;
  MUST(__wasi_fd_filestat_get(fd2, &st));
  printf("size after trunc: %llu\n", (unsigned long long)st.size);

  // DIRECTORY
  ERR("open sub directory", open_at(d, "sub", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &fd));
  show_type("sub", fd);
  ERR("open existing.txt directory", open_at(d, "existing.txt", __WASI_OFLAGS_DIRECTORY, RIGHTS_ALL, 0, &fd));
  ERR("open . directory", open_at(d, ".", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, 0, &fd));
  ERR("open sub directory with FD_WRITE", open_at(d, "sub", __WASI_OFLAGS_DIRECTORY, RIGHTS_ALL, 0, &fd));
  ERR("open sub directory creat", open_at(d, "sub", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_CREAT, DIR_RIGHTS, 0, &fd));
  ERR("open sub without DIRECTORY, read-only", open_at(d, "sub", 0, __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN, 0, &fd));
  ERR("open sub/ (trailing slash)", open_at(d, "sub/", 0, __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN, 0, &fd));
  ERR("open existing.txt/ (trailing slash)", open_at(d, "existing.txt/", 0, RIGHTS_ALL, 0, &fd));
  ERR("open existing.txt/x (through a file)", open_at(d, "existing.txt/x", 0, RIGHTS_ALL, 0, &fd));
  ERR("open empty path", open_at(d, "", 0, RIGHTS_ALL, 0, &fd));
  ERR("creat in a missing directory", open_at(d, "nodir/x.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, &fd));
  ERR("open with a bad dirfd", open_at(42, "existing.txt", 0, RIGHTS_ALL, 0, &fd));
  ERR("open relative to a file fd", open_at(fd2, "x", 0, RIGHTS_ALL, 0, &fd));
  ERR("open path out of bounds", (__wasi_errno_t)raw_path_open(d, follow, 0xFFFFFFF0u, 64, 0, RIGHTS_ALL, RIGHTS_ALL, 0, (int32_t)&fd));
  ERR("open path length wraps", (__wasi_errno_t)raw_path_open(d, follow, (int32_t)"existing.txt", 0xFFFFFFFFu, 0, RIGHTS_ALL, RIGHTS_ALL, 0, (int32_t)&fd));
  ERR("open result pointer out of bounds", (__wasi_errno_t)raw_path_open(d, follow, (int32_t)"existing.txt", 12, 0, RIGHTS_ALL, RIGHTS_ALL, 0, 0x7FFFFFFF));

  // APPEND: writes go to the end whatever the position.
  ERR("open appended.txt creat append", open_at(d, "appended.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, __WASI_FDFLAGS_APPEND, &fd));
  show_type("appended.txt", fd);
  MUST(write_str(fd, "1234", &n));
  __wasi_filesize_t pos;
  MUST(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  MUST(write_str(fd, "XY", &n));
  MUST(__wasi_fd_filestat_get(fd, &st));
  printf("appended size: %llu\n", (unsigned long long)st.size);
  // NONBLOCK is accepted on a regular file and reported back.
  ERR("open existing.txt nonblock", open_at(d, "existing.txt", 0, RIGHTS_ALL, __WASI_FDFLAGS_NONBLOCK, &fd));
  show_type("nonblock", fd);

  // Rights: a descriptor opened without FD_WRITE cannot write, and inherits no more than its parent.
  ERR("open read-only rights", __wasi_path_open(d, follow, "new.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  ERR("write via read-only rights", write_str(fd, "x", &n));
  __wasi_fd_t limited;
  MUST(__wasi_path_open(d, follow, "sub", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS & ~__WASI_RIGHTS_PATH_CREATE_FILE,
                        RIGHTS_ALL & ~__WASI_RIGHTS_PATH_CREATE_FILE, 0, &limited));
  ERR("creat below a dir without PATH_CREATE_FILE", open_at(limited, "x.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, &fd));

  // Symlinks: followed with SYMLINK_FOLLOW, refused without; loops are ELOOP.
  ERR("open link (follow)", open_at(d, "link", 0, RIGHTS_ALL, 0, &fd));
  show_type("link", fd);
  ERR("open link (nofollow)", __wasi_path_open(d, 0, "link", 0, RIGHTS_ALL, RIGHTS_ALL, 0, &fd));
  ERR("open loop1 (follow)", open_at(d, "loop1", 0, RIGHTS_ALL, 0, &fd));
  ERR("open loop1 creat (follow)", open_at(d, "loop1", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, &fd));
  return 0;
}
