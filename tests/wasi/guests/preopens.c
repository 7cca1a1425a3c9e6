// Preopens: fd_prestat_get / fd_prestat_dir_name for each --dir, in command-line order, their
// errors, and the read-only form (--dir-ro): reading works, every kind of modification is refused (ENOTCAPABLE: the preopen has no write rights).
// @run: --dir {tmp}::/data --dir-ro {tmp2}::ro --dir {tmp}::. {module}
// @setup: file {tmp2}/existing.txt "read me"
// @setup: mkdir {tmp2}/subdir
// @check: absent {tmp2}/created.txt
// @check: file {tmp2}/existing.txt "read me"
// @check: file via-dot.txt dot
#include "wasi_test.h"

int main(void) {
  for (__wasi_fd_t fd = 3; fd < 7; ++fd) {
    __wasi_prestat_t ps;
    __wasi_errno_t e = __wasi_fd_prestat_get(fd, &ps);
    if (e != 0) {
      printf("fd %u prestat: %s\n", fd, errname(e));
      continue;
    }
    char name[64];
    ERR("prestat_dir_name", __wasi_fd_prestat_dir_name(fd, (uint8_t*)name, ps.u.dir.pr_name_len));
    printf("fd %u: tag %u, name [%.*s]\n", fd, ps.tag, (int)ps.u.dir.pr_name_len, name);
  }
  __wasi_prestat_t ps;
  ERR("prestat_get stdin", __wasi_fd_prestat_get(0, &ps));
  char name[8];
  ERR("prestat_dir_name buffer too small", __wasi_fd_prestat_dir_name(3, (uint8_t*)name, 2));
  ERR("prestat_dir_name on stdout", __wasi_fd_prestat_dir_name(1, (uint8_t*)name, sizeof name));
  ERR("prestat_get out of bounds", __wasi_fd_prestat_get(3, (__wasi_prestat_t*)0xFFFFFFFCu));

  __wasi_fdstat_t st;
  MUST(__wasi_fd_fdstat_get(3, &st));
  printf("fd 3 is a %s\n", filetype_name(st.fs_filetype));

  // The read-only preopen.
  int ro = find_preopen("ro");
  __wasi_fd_t fd;
  char buf[64];
  __wasi_size_t n;
  ERR("ro: open existing.txt for reading", __wasi_path_open(ro, 0, "existing.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  MUST(read_str(fd, buf, sizeof buf, &n));
  printf("ro: read [%s]\n", buf);
  ERR("ro: write to it", write_str(fd, "x", &n));
  // Asking for write rights below a read-only preopen yields a descriptor without them.
  ERR("ro: open existing.txt for writing", open_at(ro, "existing.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, &fd));
  MUST(__wasi_fd_fdstat_get(fd, &st));
  printf("ro: FD_WRITE right granted: %s\n", (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) ? "yes" : "no");
  ERR("ro: write through it", write_str(fd, "overwritten", &n));
  ERR("ro: create a file", open_at(ro, "created.txt", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, &fd));
  ERR("ro: truncate", open_at(ro, "existing.txt", __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_READ, 0, &fd));
  ERR("ro: mkdir", __wasi_path_create_directory(ro, "newdir"));
  ERR("ro: rmdir", __wasi_path_remove_directory(ro, "subdir"));
  ERR("ro: unlink", __wasi_path_unlink_file(ro, "existing.txt"));
  ERR("ro: rename", __wasi_path_rename(ro, "existing.txt", ro, "moved.txt"));
  ERR("ro: symlink", __wasi_path_symlink("existing.txt", ro, "sl"));
  ERR("ro: link", __wasi_path_link(ro, 0, "existing.txt", ro, "hard.txt"));
  ERR("ro: set times", __wasi_path_filestat_set_times(ro, 0, "existing.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  // Moving a file out of, or into, the read-only tree is a modification too.
  int rw = find_preopen("/data");
  MUST(open_at(rw, "mine.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, &fd));
  ERR("rename rw -> ro", __wasi_path_rename(rw, "mine.txt", ro, "mine.txt"));
  ERR("rename ro -> rw", __wasi_path_rename(ro, "existing.txt", rw, "stolen.txt"));
  ERR("ro: filestat", __wasi_path_filestat_get(ro, 0, "existing.txt", &(__wasi_filestat_t){0}));

  // The same host directory under a second name: both names work.
  int dot = find_preopen(".");
  ERR("create via .", open_at(dot, "via-dot.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, &fd));
  MUST(write_str(fd, "dot", &n));
  __wasi_filestat_t fst;
  ERR("visible via /data", __wasi_path_filestat_get(rw, 0, "via-dot.txt", &fst));
  // libc resolves relative paths against the preopen named "."
  FILE* f = fopen("via-dot.txt", "r");
  printf("fopen(\"via-dot.txt\"): %s\n", f ? "opened" : "failed");
  FILE* g = fopen("/etc/passwd", "r");
  printf("fopen(\"/etc/passwd\"): %s\n", g ? "opened" : "failed");
  return 0;
}
