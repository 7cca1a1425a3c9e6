// `..` and absolute paths: every path operation refuses to name anything above the directory fd it
// is given, however the `..` is spelled or buried, and absolute paths are refused outright.
// A subdirectory fd is a sandbox root of its own: `..` from it is refused even though the parent
// is inside the preopen (the capability is the fd, not the tree).
// @run: --dir {tmp}/sandbox::/sandbox {module} {tmp}
// @setup: mkdir sandbox
// @setup: mkdir sandbox/sub
// @setup: mkdir sandbox/sub/deeper
// @setup: file sandbox/inside.txt inside
// @setup: file sandbox/sub/inside.txt inside-sub
// @setup: file secret.txt OUTSIDE
// @setup: mkdir outdir
// @setup: file outdir/OUTSIDE_MARKER x
// @setup: file outdir/secret.txt OUTSIDE
// @check: file secret.txt OUTSIDE
// @check: file outdir/secret.txt OUTSIDE
// @check: absent created.txt
// @check: absent newdir
// @check: absent outdir/created.txt
#include "escape.h"

int main(int argc, char** argv) {
  __wasi_fd_t d = preopen("/sandbox");
  try_open("open ..", d, "..", FOLLOW, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS);
  try_open("open ../secret.txt", d, "../secret.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("open ../outdir/secret.txt", d, "../outdir/secret.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("open sub/../../secret.txt", d, "sub/../../secret.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("open sub/deeper/../../../secret.txt", d, "sub/deeper/../../../secret.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("open ./../secret.txt", d, "./../secret.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("open sub/./.././../secret.txt", d, "sub/./.././../secret.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("open .//..//secret.txt", d, ".//..//secret.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("open ../sandbox/inside.txt (out and back in)", d, "../sandbox/inside.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("open missing/../../secret.txt", d, "missing/../../secret.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("open ../ (trailing slash)", d, "../", FOLLOW, 0, READ_RIGHTS);
  try_open("open sub/.. (stays inside)", d, "sub/..", FOLLOW, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS);
  try_open("open sub/../inside.txt (stays inside)", d, "sub/../inside.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("open ../secret.txt nofollow", d, "../secret.txt", NOFOLLOW, 0, READ_RIGHTS);
  try_open("creat ../created.txt", d, "../created.txt", FOLLOW, __WASI_OFLAGS_CREAT, RIGHTS_ALL);
  try_open("creat ../outdir/created.txt", d, "../outdir/created.txt", FOLLOW, __WASI_OFLAGS_CREAT, RIGHTS_ALL);

  // Absolute paths: there is no root in the ABI; not "/", not the host's own path to the sandbox.
  try_open("open /", d, "/", FOLLOW, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS);
  try_open("open /etc/passwd", d, "/etc/passwd", FOLLOW, 0, READ_RIGHTS);
  try_open("open //etc/passwd", d, "//etc/passwd", FOLLOW, 0, READ_RIGHTS);
  try_open("open /sandbox/inside.txt (guest name)", d, "/sandbox/inside.txt", FOLLOW, 0, READ_RIGHTS);
  if (argc > 1) {
    char host[1024];
    snprintf(host, sizeof host, "%s/secret.txt", argv[1]);
    try_open("open HOSTTMP/secret.txt (host absolute path)", d, host, FOLLOW, 0, READ_RIGHTS);
    snprintf(host, sizeof host, "%s/sandbox/inside.txt", argv[1]);
    try_open("open HOSTTMP/sandbox/inside.txt (host path of the sandbox)", d, host, FOLLOW, 0, READ_RIGHTS);
  }

  // Every other path operation, with `..`.
  __wasi_filestat_t st;
  report("path_filestat_get ../secret.txt", __wasi_path_filestat_get(d, FOLLOW, "../secret.txt", &st));
  report("path_filestat_get ..", __wasi_path_filestat_get(d, 0, "..", &st));
  report("path_filestat_set_times ../secret.txt",
         __wasi_path_filestat_set_times(d, FOLLOW, "../secret.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  report("path_create_directory ../newdir", __wasi_path_create_directory(d, "../newdir"));
  report("path_unlink_file ../secret.txt", __wasi_path_unlink_file(d, "../secret.txt"));
  report("path_remove_directory ../outdir", __wasi_path_remove_directory(d, "../outdir"));
  report("path_remove_directory ..", __wasi_path_remove_directory(d, ".."));
  report("path_symlink inside.txt -> ../link", __wasi_path_symlink("inside.txt", d, "../link"));
  uint8_t buf[64];
  __wasi_size_t used;
  report("path_readlink ../anything", __wasi_path_readlink(d, "../anything", buf, sizeof buf, &used));
  report("path_rename inside.txt -> ../moved.txt", __wasi_path_rename(d, "inside.txt", d, "../moved.txt"));
  report("path_rename ../secret.txt -> stolen.txt", __wasi_path_rename(d, "../secret.txt", d, "stolen.txt"));
  report("path_link ../secret.txt -> hard.txt", __wasi_path_link(d, 0, "../secret.txt", d, "hard.txt"));
  report("path_link inside.txt -> ../hard.txt", __wasi_path_link(d, 0, "inside.txt", d, "../hard.txt"));

  // A subdirectory fd is its own root.
  __wasi_fd_t sub;
  const __wasi_rights_t dir_rights = __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR;
  report("open sub", __wasi_path_open(d, 0, "sub", __WASI_OFLAGS_DIRECTORY, dir_rights, RIGHTS_ALL, 0, &sub));
  try_open("from sub: open inside.txt", sub, "inside.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("from sub: open ../inside.txt", sub, "../inside.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("from sub: open ../../secret.txt", sub, "../../secret.txt", FOLLOW, 0, READ_RIGHTS);
  try_open("from sub: open deeper/../../inside.txt", sub, "deeper/../../inside.txt", FOLLOW, 0, READ_RIGHTS);
  return finish();
}
