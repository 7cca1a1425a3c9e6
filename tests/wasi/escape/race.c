// Run by race_driver (not by the case runner): while this guest loops on path operations, the
// driver keeps atomically swapping (renameat2 RENAME_EXCHANGE) sandbox entries between the real
// thing and a symlink leading out: an intermediate directory "d" <-> "d_fake" (-> ../outdir) and
// "d_abs" (-> HOST/outdir); a final file "f" <-> "f_fake" (-> ../secret.txt), "f_abs" and
// "f_dangling" (-> ../created_outside.txt). Whatever the interleaving, no open may read an outside
// file, no create may land outside and no timestamp outside may change.
// Prints "escapes: N" on stdout; per-outcome counts go to stderr (they vary run to run).
#include "escape.h"

static int opened_inside = 0, refused = 0;

static void attempt(__wasi_fd_t d, const char* path, __wasi_lookupflags_t lookup, __wasi_oflags_t oflags) {
  __wasi_fd_t fd;
  __wasi_errno_t e = __wasi_path_open(d, lookup, path, oflags, READ_RIGHTS | __WASI_RIGHTS_FD_WRITE,
                                      READ_RIGHTS, 0, &fd);
  if (e != 0) {
    ++refused;
    return;
  }
  int before = g_escapes;
  inspect(path, fd);
  if (g_escapes == before) ++opened_inside;
  (void)__wasi_fd_close(fd);
}

int main(int argc, char** argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 2000;
  __wasi_fd_t d = preopen("/sandbox");
  for (int i = 0; i < iterations; ++i) {
    attempt(d, "d/secret.txt", FOLLOW, 0);
    attempt(d, "d/e/secret.txt", 0, 0);
    attempt(d, "d/", FOLLOW, __WASI_OFLAGS_DIRECTORY);
    attempt(d, "f", FOLLOW, 0);
    attempt(d, "d/created.txt", 0, __WASI_OFLAGS_CREAT);
    attempt(d, "f", FOLLOW, __WASI_OFLAGS_CREAT);
    (void)__wasi_path_filestat_set_times(d, FOLLOW, "f", 0, 0, __WASI_FSTFLAGS_MTIM_NOW);
  }
  fprintf(stderr, "opened inside: %d, refused: %d\n", opened_inside, refused);
  return finish();
}
