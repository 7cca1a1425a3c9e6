// rename and link across directories and preopens: both sides are resolved in their own sandbox,
// neither may name anything outside, and legitimate moves between two writable preopens work.
// Trailing slashes on entry operations never make the kernel follow a link out.
// @run: --dir {tmp}/a::/a --dir {tmp}/b::/b {module}
// @setup: mkdir a
// @setup: mkdir b
// @setup: mkdir a/sub
// @setup: file a/file.txt in-a
// @setup: file a/sub/file.txt in-a-sub
// @setup: file secret.txt OUTSIDE
// @setup: mkdir outdir
// @setup: file outdir/OUTSIDE_MARKER x
// @setup: file outdir/secret.txt OUTSIDE
// @setup: symlink ../outdir a/outlink
// @setup: symlink {tmp}/outdir a/absdir
// @setup: symlink {tmp}/secret.txt a/abs
// @check: file secret.txt OUTSIDE
// @check: file outdir/secret.txt OUTSIDE
// @check: absent moved.txt
// @check: absent outdir/moved.txt
// @check: absent outdir/linked.txt
// @check: absent hard.txt
// @check: absent outdir/file.txt
// @check: file b/moved_to_b.txt in-a
// @check: file b/linked_to_b.txt in-a-sub
// @check: symlink a/outlink ../outdir
#include "escape.h"

int main(void) {
  __wasi_fd_t a = preopen("/a"), b = preopen("/b");
  report("rename a/file.txt -> b/../moved.txt", __wasi_path_rename(a, "file.txt", b, "../moved.txt"));
  report("rename a/file.txt -> a/outlink/moved.txt", __wasi_path_rename(a, "file.txt", a, "outlink/moved.txt"));
  report("rename a/file.txt -> a/absdir/moved.txt", __wasi_path_rename(a, "file.txt", a, "absdir/moved.txt"));
  report("rename b/../secret.txt -> a/stolen.txt", __wasi_path_rename(b, "../secret.txt", a, "stolen.txt"));
  report("rename a/outlink/secret.txt -> b/stolen.txt", __wasi_path_rename(a, "outlink/secret.txt", b, "stolen.txt"));
  report("link a/sub/file.txt -> a/outlink/linked.txt", __wasi_path_link(a, 0, "sub/file.txt", a, "outlink/linked.txt"));
  report("link a/../secret.txt -> b/hard.txt", __wasi_path_link(a, 0, "../secret.txt", b, "hard.txt"));
  report("link a/abs (follow) -> b/hard.txt", __wasi_path_link(a, FOLLOW, "abs", b, "hard.txt"));
  report("link a/file.txt -> b/../hard.txt", __wasi_path_link(a, 0, "file.txt", b, "../hard.txt"));
  report("link a/outlink/ (trailing slash, follow) -> b/x", __wasi_path_link(a, FOLLOW, "outlink/", b, "x"));
  report("link a/outlink/ (trailing slash) -> b/x", __wasi_path_link(a, 0, "outlink/", b, "x"));
  // Trailing slashes on the entry operations act on the link itself, never its target.
  report("rename a/outlink/ -> b/gone", __wasi_path_rename(a, "outlink/", b, "gone"));
  report("path_unlink_file a/outlink/", __wasi_path_unlink_file(a, "outlink/"));
  report("path_remove_directory a/outlink/", __wasi_path_remove_directory(a, "outlink/"));
  report("path_remove_directory a/outlink", __wasi_path_remove_directory(a, "outlink"));
  report("path_create_directory a/outlink/", __wasi_path_create_directory(a, "outlink/"));
  report("path_symlink x -> a/outlink/", __wasi_path_symlink("x", a, "outlink/"));
  report("rename a/sub -> a/outlink/", __wasi_path_rename(a, "sub", a, "outlink/"));
  // Over the link: replaces the link (inside), the outside directory is untouched.
  report("rename a/file.txt -> b/moved_to_b.txt", __wasi_path_rename(a, "file.txt", b, "moved_to_b.txt"));
  report("link a/sub/file.txt -> b/linked_to_b.txt", __wasi_path_link(a, 0, "sub/file.txt", b, "linked_to_b.txt"));
  try_open("open b/moved_to_b.txt", b, "moved_to_b.txt", 0, 0, READ_RIGHTS);
  try_open("open a/outlink/secret.txt after all that", a, "outlink/secret.txt", FOLLOW, 0, READ_RIGHTS);
  return finish();
}
