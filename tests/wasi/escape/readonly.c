// Read-only preopens (--dir-ro): no write, create, delete, rename, link, truncate or timestamp change,
// whatever rights the guest asks for or claims, through the preopen, through fds opened from it,
// and after renumbering it over a writable preopen's number. The same host directory granted both
// read-write (/rw) and read-only (/ro) keeps /ro read-only (wasmtime GHSA-4ch3-9j33-3pmj).
// @run: --dir-ro {tmp}/ro::/ro --dir {tmp}/rw::/rw --dir-ro {tmp}/rw::/rw_ro {module}
// @setup: mkdir ro
// @setup: mkdir ro/sub
// @setup: file ro/file.txt original
// @setup: file ro/sub/file.txt original
// @setup: mkdir ro/emptydir
// @setup: mkdir rw
// @setup: file rw/file.txt original
// @check: file ro/file.txt original
// @check: file ro/sub/file.txt original
// @check: dir ro/emptydir
// @check: absent ro/new.txt
// @check: absent ro/newdir
// @check: absent ro/link
// @check: absent ro/hard.txt
// @check: absent ro/moved.txt
// @check: absent rw/moved_from_ro.txt
// @check: absent rw/linked_from_ro.txt
// @check: absent rw/via_rw_ro.txt
// @check: absent rw/renumbered.txt
// @check: file rw/file.txt original
// @check: file rw/rw_ok.txt ok
#include "escape.h"

static void show_rights(const char* label, __wasi_fd_t fd) {
  __wasi_fdstat_t st;
  if (__wasi_fd_fdstat_get(fd, &st) != 0) return;
  printf("%s: FD_WRITE %s, PATH_CREATE_FILE %s, inheriting FD_WRITE %s\n", label,
         (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) ? "yes" : "no",
         (st.fs_rights_base & __WASI_RIGHTS_PATH_CREATE_FILE) ? "yes" : "no",
         (st.fs_rights_inheriting & __WASI_RIGHTS_FD_WRITE) ? "yes" : "no");
}

static void write_attempts(const char* who, __wasi_fd_t dir) {
  char label[256];
  __wasi_fd_t fd;
#define L(what) (snprintf(label, sizeof label, "%s: %s", who, what), label)
  report(L("creat new.txt"), __wasi_path_open(dir, 0, "new.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, RIGHTS_ALL, 0, &fd));
  report(L("trunc file.txt"), __wasi_path_open(dir, 0, "file.txt", __WASI_OFLAGS_TRUNC, RIGHTS_ALL, RIGHTS_ALL, 0, &fd));
  report(L("path_create_directory newdir"), __wasi_path_create_directory(dir, "newdir"));
  report(L("path_unlink_file file.txt"), __wasi_path_unlink_file(dir, "file.txt"));
  report(L("path_remove_directory emptydir"), __wasi_path_remove_directory(dir, "emptydir"));
  report(L("path_symlink file.txt -> link"), __wasi_path_symlink("file.txt", dir, "link"));
  report(L("path_link file.txt -> hard.txt"), __wasi_path_link(dir, 0, "file.txt", dir, "hard.txt"));
  report(L("path_rename file.txt -> moved.txt"), __wasi_path_rename(dir, "file.txt", dir, "moved.txt"));
  report(L("path_filestat_set_times file.txt"),
         __wasi_path_filestat_set_times(dir, 0, "file.txt", 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  // Open for "write" anyway: the fd comes back without write rights and a read-only host fd.
  __wasi_errno_t e = report(L("open file.txt asking for all rights"),
                            __wasi_path_open(dir, 0, "file.txt", 0, RIGHTS_ALL, RIGHTS_ALL, 0, &fd));
  if (e != 0) return;
  show_rights(L("opened file"), fd);
  const char* x = "XXXX";
  __wasi_ciovec_t iov = {(const uint8_t*)x, 4};
  __wasi_size_t n;
  report(L("fd_write"), __wasi_fd_write(fd, &iov, 1, &n));
  report(L("fd_pwrite"), __wasi_fd_pwrite(fd, &iov, 1, 0, &n));
  report(L("fd_filestat_set_size 0"), __wasi_fd_filestat_set_size(fd, 0));
  report(L("fd_allocate"), __wasi_fd_allocate(fd, 0, 100));
  report(L("fd_filestat_set_times"), __wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  report(L("fd_fdstat_set_rights regain FD_WRITE"),
         __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READ, 0));
  report(L("fd_fdstat_set_flags append"), __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
  report(L("fd_write after append"), __wasi_fd_write(fd, &iov, 1, &n));
  (void)__wasi_fd_close(fd);
#undef L
}

int main(void) {
  __wasi_fd_t ro = preopen("/ro"), rw = preopen("/rw"), rw_ro = preopen("/rw_ro");
  show_rights("/ro preopen", ro);
  show_rights("/rw preopen", rw);
  write_attempts("/ro", ro);
  write_attempts("/rw_ro", rw_ro);

  // A subdirectory opened from the read-only preopen is read-only too.
  __wasi_fd_t sub;
  report("/ro: open sub", __wasi_path_open(ro, 0, "sub", __WASI_OFLAGS_DIRECTORY, RIGHTS_ALL, RIGHTS_ALL, 0, &sub));
  show_rights("/ro/sub", sub);
  report("/ro/sub: fd_fdstat_set_rights regain PATH_CREATE_FILE",
         __wasi_fd_fdstat_set_rights(sub, __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_OPEN, 0));
  __wasi_fd_t fd;
  report("/ro/sub: creat x.txt", __wasi_path_open(sub, 0, "x.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, RIGHTS_ALL, 0, &fd));
  report("/ro/sub: trunc file.txt", __wasi_path_open(sub, 0, "file.txt", __WASI_OFLAGS_TRUNC, RIGHTS_ALL, RIGHTS_ALL, 0, &fd));

  // Across preopens: moving or linking out of the read-only tree changes it (or aliases its files).
  report("rename /ro/file.txt -> /rw/moved_from_ro.txt", __wasi_path_rename(ro, "file.txt", rw, "moved_from_ro.txt"));
  report("link /ro/file.txt -> /rw/linked_from_ro.txt", __wasi_path_link(ro, 0, "file.txt", rw, "linked_from_ro.txt"));
  report("rename /rw/file.txt -> /ro/moved.txt", __wasi_path_rename(rw, "file.txt", ro, "moved.txt"));
  report("link /rw/file.txt -> /ro/hard.txt", __wasi_path_link(rw, 0, "file.txt", ro, "hard.txt"));
  report("rename /rw_ro/file.txt -> /rw/via_rw_ro.txt", __wasi_path_rename(rw_ro, "file.txt", rw, "via_rw_ro.txt"));

  // The writable preopen still works.
  __wasi_errno_t e = report("/rw: creat rw_ok.txt", __wasi_path_open(rw, 0, "rw_ok.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, RIGHTS_ALL, 0, &fd));
  if (e == 0) {
    __wasi_ciovec_t iov = {(const uint8_t*)"ok", 2};
    __wasi_size_t n;
    report("/rw: fd_write", __wasi_fd_write(fd, &iov, 1, &n));
    (void)__wasi_fd_close(fd);
  }

  // Renumbering the read-only preopen over the writable one's number carries the restriction.
  report("fd_renumber /ro over /rw's fd", __wasi_fd_renumber(ro, rw));
  report("via the renumbered fd: creat renumbered.txt",
         __wasi_path_open(rw, 0, "renumbered.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, RIGHTS_ALL, 0, &fd));
  report("via the renumbered fd: unlink file.txt", __wasi_path_unlink_file(rw, "file.txt"));
  return finish();
}
