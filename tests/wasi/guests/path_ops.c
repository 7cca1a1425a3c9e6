// path_create_directory, path_remove_directory, path_unlink_file, path_rename, path_link,
// path_symlink, path_readlink, path_filestat_get/set_times inside one preopen, with error paths.
// @run: --dir {tmp}::/sandbox {module}
// @setup: file file.txt 0123456789
// @check: dir newdir
// @check: absent gone
// @check: file renamed.txt 0123456789
// @check: file hard.txt 0123456789
// @check: symlink sl renamed.txt
#include "wasi_test.h"

int main(void) {
  int d = find_preopen("/sandbox");
  // create / remove directories
  ERR("create_directory newdir", __wasi_path_create_directory(d, "newdir"));
  ERR("create_directory newdir again", __wasi_path_create_directory(d, "newdir"));
  ERR("create_directory missing/x", __wasi_path_create_directory(d, "missing/x"));
  ERR("create_directory file.txt/x", __wasi_path_create_directory(d, "file.txt/x"));
  ERR("create_directory gone", __wasi_path_create_directory(d, "gone"));
  ERR("create_directory gone/inner", __wasi_path_create_directory(d, "gone/inner"));
  ERR("remove_directory gone (not empty)", __wasi_path_remove_directory(d, "gone"));
  ERR("remove_directory file.txt", __wasi_path_remove_directory(d, "file.txt"));
  ERR("remove_directory nothing", __wasi_path_remove_directory(d, "nothing"));
  ERR("remove_directory gone/inner", __wasi_path_remove_directory(d, "gone/inner"));
  ERR("remove_directory gone", __wasi_path_remove_directory(d, "gone"));

  // unlink
  __wasi_fd_t fd;
  MUST(open_at(d, "tmp.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, &fd));
  MUST(__wasi_fd_close(fd));
  ERR("unlink_file newdir (a directory)", __wasi_path_unlink_file(d, "newdir"));
  ERR("unlink_file nothing", __wasi_path_unlink_file(d, "nothing"));
  ERR("unlink_file tmp.txt/ (trailing slash)", __wasi_path_unlink_file(d, "tmp.txt/"));
  ERR("unlink_file tmp.txt", __wasi_path_unlink_file(d, "tmp.txt"));
  ERR("unlink_file tmp.txt again", __wasi_path_unlink_file(d, "tmp.txt"));

  // rename
  ERR("rename file.txt -> renamed.txt", __wasi_path_rename(d, "file.txt", d, "renamed.txt"));
  __wasi_filestat_t st;
  ERR("filestat file.txt", __wasi_path_filestat_get(d, 0, "file.txt", &st));
  ERR("rename nothing -> x", __wasi_path_rename(d, "nothing", d, "x"));
  ERR("rename renamed.txt -> missing/x", __wasi_path_rename(d, "renamed.txt", d, "missing/x"));
  MUST(open_at(d, "victim.txt", __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, &fd));
  MUST(__wasi_fd_close(fd));
  MUST(__wasi_path_rename(d, "renamed.txt", d, "tmp2.txt"));
  ERR("rename over an existing file", __wasi_path_rename(d, "tmp2.txt", d, "victim.txt"));
  MUST(__wasi_path_rename(d, "victim.txt", d, "renamed.txt"));
  MUST(__wasi_path_create_directory(d, "full"));
  MUST(__wasi_path_create_directory(d, "full/inner"));
  MUST(__wasi_path_create_directory(d, "empty"));
  ERR("rename dir over non-empty dir", __wasi_path_rename(d, "empty", d, "full"));
  ERR("rename file over dir", __wasi_path_rename(d, "renamed.txt", d, "empty"));
  ERR("rename dir over file", __wasi_path_rename(d, "empty", d, "renamed.txt"));
  ERR("rename dir into itself", __wasi_path_rename(d, "full", d, "full/inner/x"));
  ERR("rename dir over empty dir", __wasi_path_rename(d, "full", d, "empty"));
  ERR("filestat empty/inner", __wasi_path_filestat_get(d, 0, "empty/inner", &st));
  printf("empty/inner is a %s\n", filetype_name(st.filetype));
  MUST(__wasi_path_remove_directory(d, "empty/inner"));
  MUST(__wasi_path_remove_directory(d, "empty"));

  // hard links
  ERR("link renamed.txt -> hard.txt", __wasi_path_link(d, 0, "renamed.txt", d, "hard.txt"));
  ERR("filestat hard.txt", __wasi_path_filestat_get(d, 0, "hard.txt", &st));
  printf("nlink: %llu, size: %llu\n", (unsigned long long)st.nlink, (unsigned long long)st.size);
  ERR("link onto an existing name", __wasi_path_link(d, 0, "renamed.txt", d, "hard.txt"));
  ERR("link nothing", __wasi_path_link(d, 0, "nothing", d, "x"));
  ERR("link a directory", __wasi_path_link(d, 0, "newdir", d, "dirlink"));

  // symlinks
  ERR("symlink renamed.txt <- sl", __wasi_path_symlink("renamed.txt", d, "sl"));
  ERR("symlink onto an existing name", __wasi_path_symlink("whatever", d, "sl"));
  ERR("symlink dangling", __wasi_path_symlink("nowhere", d, "dangling"));
  char buf[64];
  __wasi_size_t n = 0;
  ERR("readlink sl", __wasi_path_readlink(d, "sl", (uint8_t*)buf, sizeof buf, &n));
  printf("target: [%.*s] (%lu bytes)\n", (int)n, buf, n);
  ERR("readlink sl into 4 bytes", __wasi_path_readlink(d, "sl", (uint8_t*)buf, 4, &n));
  printf("truncated target: [%.*s] (%lu bytes)\n", (int)n, buf, n);
  ERR("readlink a regular file", __wasi_path_readlink(d, "renamed.txt", (uint8_t*)buf, sizeof buf, &n));
  ERR("readlink nothing", __wasi_path_readlink(d, "nothing", (uint8_t*)buf, sizeof buf, &n));
  ERR("filestat sl (no follow)", __wasi_path_filestat_get(d, 0, "sl", &st));
  printf("sl is a %s\n", filetype_name(st.filetype));
  ERR("filestat sl (follow)", __wasi_path_filestat_get(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sl", &st));
  printf("sl -> %s of %llu bytes\n", filetype_name(st.filetype), (unsigned long long)st.size);
  ERR("filestat dangling (follow)", __wasi_path_filestat_get(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "dangling", &st));
  ERR("unlink_file dangling", __wasi_path_unlink_file(d, "dangling"));
  ERR("filestat nothing", __wasi_path_filestat_get(d, 0, "nothing", &st));
  ERR("filestat newdir", __wasi_path_filestat_get(d, 0, "newdir", &st));
  printf("newdir is a %s\n", filetype_name(st.filetype));

  // path_filestat_set_times
  const __wasi_timestamp_t s = 1000000000ull;
  ERR("path_filestat_set_times", __wasi_path_filestat_set_times(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "hard.txt", 5000 * s, 6000 * s,
                                                                __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  MUST(__wasi_path_filestat_get(d, 0, "renamed.txt", &st));
  printf("times via the other link: atim %llu s, mtim %llu s\n", (unsigned long long)(st.atim / s), (unsigned long long)(st.mtim / s));
  ERR("path_filestat_set_times atim|atim_now", __wasi_path_filestat_set_times(d, 0, "hard.txt", 1, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
  ERR("path_filestat_set_times nothing", __wasi_path_filestat_set_times(d, 0, "nothing", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));

  // Left behind for the host-side @check lines: newdir, renamed.txt, hard.txt, sl.
  return 0;
}
