// Symlinks planted by the host inside the sandbox: relative and absolute targets, chains, loops,
// dangling links, links to outside directories used as intermediate components or with a trailing
// slash. Links that stay inside keep working; nothing may reach outside, with or without
// SYMLINK_FOLLOW, through any path operation.
// @run: --dir {tmp}/sandbox::/sandbox {module}
// @setup: mkdir sandbox
// @setup: mkdir sandbox/sub
// @setup: file sandbox/inside.txt inside
// @setup: file sandbox/sub/inside.txt inside-sub
// @setup: file secret.txt OUTSIDE
// @setup: mkdir outdir
// @setup: file outdir/OUTSIDE_MARKER x
// @setup: file outdir/secret.txt OUTSIDE
// @setup: symlink ../secret.txt sandbox/rel
// @setup: symlink {tmp}/secret.txt sandbox/abs
// @setup: symlink /etc/passwd sandbox/etcpasswd
// @setup: symlink chain2 sandbox/chain1
// @setup: symlink chain3 sandbox/chain2
// @setup: symlink sub/../../secret.txt sandbox/chain3
// @setup: symlink ../outdir sandbox/outlink
// @setup: symlink {tmp}/outdir sandbox/absdir
// @setup: symlink ../.. sandbox/sub/up2
// @setup: symlink .. sandbox/sub/up1
// @setup: symlink loop2 sandbox/loop1
// @setup: symlink loop1 sandbox/loop2
// @setup: symlink self sandbox/self
// @setup: symlink nowhere sandbox/dangling
// @setup: symlink ../created_outside.txt sandbox/dangling_out
// @setup: symlink sub sandbox/inlink
// @setup: symlink inside.txt sandbox/filelink
// @setup: symlink sub/../inside.txt sandbox/roundtrip
// @check: file secret.txt OUTSIDE
// @check: file outdir/secret.txt OUTSIDE
// @check: absent created_outside.txt
// @check: absent outdir/new.txt
// @check: absent outdir/newdir
// @check: symlink sandbox/g_rel ../secret.txt
// @check: absent sandbox/g_abs
#include "escape.h"

static void stat_both(__wasi_fd_t d, const char* path) {
  char label[256];
  __wasi_filestat_t st;
  snprintf(label, sizeof label, "path_filestat_get %s follow", path);
  report(label, __wasi_path_filestat_get(d, FOLLOW, path, &st));
  snprintf(label, sizeof label, "path_filestat_get %s nofollow", path);
  __wasi_errno_t e = report(label, __wasi_path_filestat_get(d, NOFOLLOW, path, &st));
  if (e == 0) printf("  filetype %u\n", st.filetype);
}

int main(void) {
  __wasi_fd_t d = preopen("/sandbox");
  // Relative target leaving the sandbox, absolute targets (outside, and the host's /etc).
  try_open("open rel follow", d, "rel", FOLLOW, 0, READ_RIGHTS);
  try_open("open rel nofollow", d, "rel", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open abs follow", d, "abs", FOLLOW, 0, READ_RIGHTS);
  try_open("open abs nofollow", d, "abs", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open etcpasswd follow", d, "etcpasswd", FOLLOW, 0, READ_RIGHTS);
  stat_both(d, "rel");
  stat_both(d, "abs");
  // Chains: the last hop leaves.
  try_open("open chain1 follow", d, "chain1", FOLLOW, 0, READ_RIGHTS);
  // Directory links as intermediate components, with and without trailing slashes.
  try_open("open outlink/secret.txt", d, "outlink/secret.txt", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open outlink/ nofollow", d, "outlink/", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open outlink follow", d, "outlink", FOLLOW, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS);
  try_open("open outlink/. nofollow", d, "outlink/.", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open absdir/secret.txt", d, "absdir/secret.txt", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open absdir/ nofollow", d, "absdir/", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open sub/up1/inside.txt (stays inside)", d, "sub/up1/inside.txt", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open sub/up2/secret.txt", d, "sub/up2/secret.txt", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open sub/up2/ follow", d, "sub/up2/", FOLLOW, 0, READ_RIGHTS);
  try_open("open outlink/.. ", d, "outlink/..", NOFOLLOW, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS);
  stat_both(d, "outlink/");
  stat_both(d, "outlink/secret.txt");
  // Loops and dangling links.
  try_open("open loop1 follow", d, "loop1", FOLLOW, 0, READ_RIGHTS);
  try_open("open self follow", d, "self", FOLLOW, 0, READ_RIGHTS);
  try_open("open loop1/x", d, "loop1/x", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open dangling follow", d, "dangling", FOLLOW, 0, READ_RIGHTS);
  try_open("creat through dangling_out follow", d, "dangling_out", FOLLOW, __WASI_OFLAGS_CREAT, RIGHTS_ALL);
  try_open("creat through dangling_out nofollow", d, "dangling_out", NOFOLLOW, __WASI_OFLAGS_CREAT, RIGHTS_ALL);
  // Writes through outside-pointing links.
  try_open("creat outlink/new.txt", d, "outlink/new.txt", FOLLOW, __WASI_OFLAGS_CREAT, RIGHTS_ALL);
  report("path_create_directory outlink/newdir", __wasi_path_create_directory(d, "outlink/newdir"));
  report("path_unlink_file outlink/secret.txt", __wasi_path_unlink_file(d, "outlink/secret.txt"));
  report("path_filestat_set_times abs follow",
         __wasi_path_filestat_set_times(d, FOLLOW, "abs", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  report("path_rename outlink/secret.txt -> stolen.txt",
         __wasi_path_rename(d, "outlink/secret.txt", d, "stolen.txt"));
  uint8_t buf[64];
  __wasi_size_t used;
  report("path_readlink outlink/secret.txt", __wasi_path_readlink(d, "outlink/secret.txt", buf, sizeof buf, &used));
  report("path_readlink abs/ (trailing slash)", __wasi_path_readlink(d, "abs/", buf, sizeof buf, &used));
  // Links that stay inside keep working.
  try_open("open inlink/inside.txt", d, "inlink/inside.txt", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open inlink/ nofollow (trailing slash follows)", d, "inlink/", NOFOLLOW, 0, READ_RIGHTS);
  try_open("open inlink nofollow", d, "inlink", NOFOLLOW, __WASI_OFLAGS_DIRECTORY, READ_RIGHTS);
  try_open("open filelink follow", d, "filelink", FOLLOW, 0, READ_RIGHTS);
  try_open("open filelink/ (trailing slash on a file link)", d, "filelink/", FOLLOW, 0, READ_RIGHTS);
  try_open("open roundtrip follow", d, "roundtrip", FOLLOW, 0, READ_RIGHTS);
  __wasi_size_t n = 0;
  report("path_readlink abs (the link itself is readable)", __wasi_path_readlink(d, "abs", buf, sizeof buf, &used));
  n = used;
  printf("  target length matches: %s\n", n > 0 ? "yes" : "no");
  // Guest-made links: a relative one may exist (it is never followed out), an absolute one may not.
  report("path_symlink ../secret.txt -> g_rel", __wasi_path_symlink("../secret.txt", d, "g_rel"));
  try_open("open g_rel follow", d, "g_rel", FOLLOW, 0, READ_RIGHTS);
  report("path_symlink /etc/passwd -> g_abs", __wasi_path_symlink("/etc/passwd", d, "g_abs"));
  // Hard-linking through a link must not pull the outside file in.
  report("path_link abs follow -> hard.txt", __wasi_path_link(d, FOLLOW, "abs", d, "hard.txt"));
  report("path_link rel follow -> hard2.txt", __wasi_path_link(d, FOLLOW, "rel", d, "hard2.txt"));
  report("path_link abs nofollow -> hardlink_to_link", __wasi_path_link(d, NOFOLLOW, "abs", d, "hardlink_to_link"));
  try_open("open hardlink_to_link follow", d, "hardlink_to_link", FOLLOW, 0, READ_RIGHTS);
  return finish();
}
