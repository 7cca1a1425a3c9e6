// fd_* on a regular file in a preopened directory: write/read, seek/tell (all whences and errors),
// pread/pwrite (offset untouched), fdstat get/set_flags/set_rights, filestat get/set_size/set_times,
// allocate, advise, sync, datasync, renumber, close; every error path on the way.
// @run: --dir {tmp}::/sandbox {module}
// @check: file f.txt "HELLO world!"
#include "wasi_test.h"

static __wasi_filestat_t fstat_of(__wasi_fd_t fd) {
  __wasi_filestat_t st;
  MUST(__wasi_fd_filestat_get(fd, &st));
  return st;
}

int main(void) {
  int dir = find_preopen("/sandbox");
  printf("preopen /sandbox: %s\n", dir >= 3 ? "found" : "missing");
  __wasi_fd_t fd;
  ERR("path_open f.txt creat|trunc", open_at(dir, "f.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RIGHTS_ALL, 0, &fd));
  __wasi_size_t n = 0;
  ERR("fd_write", write_str(fd, "hello world", &n));
  printf("written: %lu\n", n);

  __wasi_filesize_t pos = 0;
  ERR("fd_tell", __wasi_fd_tell(fd, &pos));
  printf("tell: %llu\n", (unsigned long long)pos);
  ERR("fd_seek set 6", __wasi_fd_seek(fd, 6, __WASI_WHENCE_SET, &pos));
  printf("pos: %llu\n", (unsigned long long)pos);
  char buf[64];
  ERR("fd_read", read_str(fd, buf, 6, &n));
  printf("read: [%s]\n", buf);
  ERR("fd_seek cur -5", __wasi_fd_seek(fd, -5, __WASI_WHENCE_CUR, &pos));
  printf("pos: %llu\n", (unsigned long long)pos);
  ERR("fd_seek end 0", __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos));
  printf("pos: %llu\n", (unsigned long long)pos);
  ERR("fd_seek end -11", __wasi_fd_seek(fd, -11, __WASI_WHENCE_END, &pos));
  printf("pos: %llu\n", (unsigned long long)pos);
  ERR("fd_seek set -1", __wasi_fd_seek(fd, -1, __WASI_WHENCE_SET, &pos));
  ERR("fd_seek whence 3", __wasi_fd_seek(fd, 0, 3, &pos));
  ERR("fd_seek bad result pointer", __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, (__wasi_filesize_t*)0xFFFFFFFCu));
  ERR("fd_tell", __wasi_fd_tell(fd, &pos));
  printf("tell after failed seeks: %llu\n", (unsigned long long)pos);
  ERR("fd_seek set 100 (past EOF)", __wasi_fd_seek(fd, 100, __WASI_WHENCE_SET, &pos));
  printf("pos: %llu\n", (unsigned long long)pos);
  ERR("fd_read past EOF", read_str(fd, buf, sizeof buf, &n));
  printf("read past EOF: %lu bytes\n", n);
  MUST(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));

  // pwrite/pread use their own offset and leave the file position alone.
  __wasi_ciovec_t wiov = {(const uint8_t*)"HELLO", 5};
  ERR("fd_pwrite at 0", __wasi_fd_pwrite(fd, &wiov, 1, 0, &n));
  printf("pwritten: %lu\n", n);
  __wasi_iovec_t riov[2] = {{(uint8_t*)buf, 3}, {(uint8_t*)buf + 3, 2}};
  ERR("fd_pread at 6 into two iovecs", __wasi_fd_pread(fd, riov, 2, 6, &n));
  buf[n] = 0;
  printf("pread: [%s] (%lu bytes)\n", buf, n);
  ERR("fd_pread at 1000", __wasi_fd_pread(fd, riov, 1, 1000, &n));
  printf("pread past EOF: %lu bytes\n", n);
  ERR("fd_tell", __wasi_fd_tell(fd, &pos));
  printf("tell after pread/pwrite: %llu\n", (unsigned long long)pos);
  ERR("fd_read", read_str(fd, buf, sizeof buf, &n));
  printf("read: [%s]\n", buf);

  // fdstat: a regular file without flags; APPEND makes every write land at the end.
  __wasi_fdstat_t fds;
  ERR("fd_fdstat_get", __wasi_fd_fdstat_get(fd, &fds));
  printf("filetype: %s, flags: %u\n", filetype_name(fds.fs_filetype), fds.fs_flags);
  ERR("fd_fdstat_set_flags append", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
  MUST(__wasi_fd_fdstat_get(fd, &fds));
  printf("flags now: %u\n", fds.fs_flags);
  MUST(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  ERR("fd_write in append mode", write_str(fd, "!", &n));
  printf("size after append: %llu\n", (unsigned long long)fstat_of(fd).size);
  MUST(__wasi_fd_pread(fd, riov, 2, 7, &n));
  buf[n] = 0;
  printf("tail: [%s]\n", buf);
  ERR("fd_fdstat_set_flags 0", __wasi_fd_fdstat_set_flags(fd, 0));

  // filestat and the size/time setters.
  __wasi_filestat_t st = fstat_of(fd);
  printf("filestat: %s, size %llu, nlink %llu\n", filetype_name(st.filetype), (unsigned long long)st.size,
         (unsigned long long)st.nlink);
  ERR("fd_filestat_set_size 5", __wasi_fd_filestat_set_size(fd, 5));
  printf("size: %llu\n", (unsigned long long)fstat_of(fd).size);
  ERR("fd_filestat_set_size 100", __wasi_fd_filestat_set_size(fd, 100));
  printf("size: %llu\n", (unsigned long long)fstat_of(fd).size);
  MUST(__wasi_fd_pread(fd, riov, 2, 50, &n));
  printf("extension reads as zeros: %s\n", n == 5 && !buf[0] && !buf[4] ? "yes" : "no");
  MUST(__wasi_fd_filestat_set_size(fd, 0));
  MUST(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  MUST(write_str(fd, "HELLO world!", &n));

  const __wasi_timestamp_t s = 1000000000ull;
  ERR("fd_filestat_set_times atim+mtim", __wasi_fd_filestat_set_times(fd, 1000 * s, 2000 * s, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  st = fstat_of(fd);
  printf("atim: %llu s, mtim: %llu s\n", (unsigned long long)(st.atim / s), (unsigned long long)(st.mtim / s));
  ERR("fd_filestat_set_times mtim only", __wasi_fd_filestat_set_times(fd, 0, 3000 * s, __WASI_FSTFLAGS_MTIM));
  st = fstat_of(fd);
  printf("atim: %llu s, mtim: %llu s\n", (unsigned long long)(st.atim / s), (unsigned long long)(st.mtim / s));
  ERR("fd_filestat_set_times mtim_now", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  __wasi_timestamp_t now;
  MUST(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 0, &now));
  st = fstat_of(fd);
  printf("mtim is now (within 60 s): %s\n", st.mtim + 60 * s > now && st.mtim < now + 60 * s ? "yes" : "no");
  ERR("fd_filestat_set_times atim|atim_now", __wasi_fd_filestat_set_times(fd, 1, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
  ERR("fd_filestat_set_times mtim|mtim_now", __wasi_fd_filestat_set_times(fd, 0, 1, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
  ERR("fd_filestat_get bad pointer", __wasi_fd_filestat_get(fd, (__wasi_filestat_t*)0xFFFFFFF0u));

  // advise / allocate / sync / datasync.
  ERR("fd_advise sequential", __wasi_fd_advise(fd, 0, 12, __WASI_ADVICE_SEQUENTIAL));
  ERR("fd_advise dontneed", __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_DONTNEED));
  ERR("fd_advise bad advice", __wasi_fd_advise(fd, 0, 12, 6));
  ERR("fd_allocate 0+4", __wasi_fd_allocate(fd, 0, 4));
  printf("size after allocate inside the file: %llu\n", (unsigned long long)fstat_of(fd).size);
  ERR("fd_sync", __wasi_fd_sync(fd));
  ERR("fd_datasync", __wasi_fd_datasync(fd));

  // Rights: dropping FD_WRITE makes writes fail; rights can never be regained.
  __wasi_fd_t ro;
  MUST(open_at(dir, "f.txt", 0, RIGHTS_ALL, 0, &ro));
  ERR("fd_fdstat_set_rights drop write", __wasi_fd_fdstat_set_rights(ro, RIGHTS_ALL & ~__WASI_RIGHTS_FD_WRITE, 0));
  MUST(__wasi_fd_fdstat_get(ro, &fds));
  printf("FD_WRITE right after drop: %s\n", (fds.fs_rights_base & __WASI_RIGHTS_FD_WRITE) ? "yes" : "no");
  ERR("fd_write without the right", write_str(ro, "x", &n));
  ERR("fd_fdstat_set_rights regain write", __wasi_fd_fdstat_set_rights(ro, RIGHTS_ALL, 0));
  ERR("fd_read still allowed", read_str(ro, buf, 6, &n));
  printf("read: [%s]\n", buf);

  // renumber: `ro` takes over fd's slot (fd's old file is closed), `ro` is then free.
  ERR("fd_renumber", __wasi_fd_renumber(ro, fd));
  ERR("fd_read via old number", read_str(ro, buf, sizeof buf, &n));
  MUST(__wasi_fd_pread(fd, riov, 2, 0, &n));
  buf[n] = 0;
  printf("renumbered fd reads: [%s]\n", buf);
  ERR("fd_renumber to unopened fd", __wasi_fd_renumber(fd, 1234));
  ERR("fd_renumber from unopened fd", __wasi_fd_renumber(1234, fd));
  ERR("fd_close", __wasi_fd_close(fd));
  ERR("fd_close again", __wasi_fd_close(fd));
  ERR("fd_tell on closed fd", __wasi_fd_tell(fd, &pos));
  ERR("fd_filestat_get on closed fd", __wasi_fd_filestat_get(fd, &st));
  // Directory descriptors are not files.
  ERR("fd_seek on a directory", __wasi_fd_seek(dir, 0, __WASI_WHENCE_CUR, &pos));
  ERR("fd_read on a directory", read_str(dir, buf, sizeof buf, &n));
  return 0;
}
