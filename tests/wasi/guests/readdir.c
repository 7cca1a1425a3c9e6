// fd_readdir: entries (with "." and ".."), types, and cookies that stay valid: reading with a tiny
// buffer and resuming from each d_next yields exactly the listing of one big read, and a cookie
// taken from the middle resumes at the same entry.
// @run: --dir {tmp}::/sandbox {module}
// @setup: mkdir d
// @setup: file d/a 1
// @setup: file d/bb 22
// @setup: file d/ccc 333
// @setup: mkdir d/sub
// @setup: symlink a d/link
#include "wasi_test.h"

#define MAX_ENTRIES 32
struct Entry {
  char name[64];
  uint8_t type;
  __wasi_dircookie_t next;
};

// Reads the whole directory with buffers of `bufsize` bytes, resuming from cookies; returns count.
static int list(__wasi_fd_t dir, size_t bufsize, __wasi_dircookie_t start, struct Entry* out) {
  static uint8_t buf[4096];
  int count = 0;
  __wasi_dircookie_t cookie = start;
  for (int rounds = 0; rounds < 1000; ++rounds) {
    __wasi_size_t used = 0;
    MUST(__wasi_fd_readdir(dir, buf, bufsize, cookie, &used));
    size_t off = 0;
    int progressed = 0;
    while (off + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t d;
      memcpy(&d, buf + off, sizeof d);
      if (off + sizeof d + d.d_namlen > used) break;  // name cut off: re-read from this cookie
      struct Entry* e = &out[count++];
      memcpy(e->name, buf + off + sizeof d, d.d_namlen);
      e->name[d.d_namlen] = 0;
      e->type = d.d_type;
      e->next = d.d_next;
      cookie = d.d_next;
      off += sizeof d + d.d_namlen;
      progressed = 1;
      if (count == MAX_ENTRIES) return count;
    }
    if (used < bufsize) return count;  // a short buffer means the end of the directory
    if (!progressed) {
      printf("buffer of %zu bytes too small for one entry\n", bufsize);
      return count;
    }
  }
  return count;
}

static int by_name(const void* a, const void* b) {
  return strcmp(((const struct Entry*)a)->name, ((const struct Entry*)b)->name);
}

int main(void) {
  int root = find_preopen("/sandbox");
  __wasi_fd_t dir;
  ERR("path_open d", __wasi_path_open(root, 0, "d", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, RIGHTS_ALL, 0, &dir));

  struct Entry big[MAX_ENTRIES], small[MAX_ENTRIES], sorted[MAX_ENTRIES];
  int n_big = list(dir, 4096, 0, big);
  memcpy(sorted, big, sizeof big);
  qsort(sorted, n_big, sizeof sorted[0], by_name);
  printf("entries: %d\n", n_big);
  for (int i = 0; i < n_big; ++i) printf("  %s %s\n", sorted[i].name, filetype_name(sorted[i].type));

  // 40 bytes hold one header plus a short name: forces a resume after (nearly) every entry.
  int n_small = list(dir, 40, 0, small);
  int same = n_small == n_big;
  for (int i = 0; same && i < n_big; ++i) same = !strcmp(big[i].name, small[i].name);
  printf("small-buffer listing identical, in the same order: %s\n", same ? "yes" : "no");

  // Resume from the cookie after the 3rd entry: get the 4th onwards.
  struct Entry rest[MAX_ENTRIES];
  int n_rest = list(dir, 4096, big[2].next, rest);
  int ok = n_rest == n_big - 3;
  for (int i = 0; ok && i < n_rest; ++i) ok = !strcmp(rest[i].name, big[i + 3].name);
  printf("resume from cookie of entry 3: %s\n", ok ? "yes" : "no");
  // A cookie past the end yields nothing.
  __wasi_size_t used = 99;
  uint8_t tiny[64];
  ERR("fd_readdir past the end", __wasi_fd_readdir(dir, tiny, sizeof tiny, big[n_big - 1].next, &used));
  printf("bytes: %lu\n", used);

  // Removing an entry shows up in the next listing.
  MUST(__wasi_path_unlink_file(dir, "bb"));
  int n_after = list(dir, 4096, 0, big);
  printf("entries after unlinking bb: %d\n", n_after);

  // Error paths.
  __wasi_fd_t file;
  MUST(open_at(dir, "a", 0, RIGHTS_ALL, 0, &file));
  ERR("fd_readdir on a file", __wasi_fd_readdir(file, tiny, sizeof tiny, 0, &used));
  ERR("fd_readdir on a bad fd", __wasi_fd_readdir(99, tiny, sizeof tiny, 0, &used));
  ERR("fd_readdir buffer out of bounds", __wasi_fd_readdir(dir, (uint8_t*)0xFFFFFF00u, 4096, 0, &used));
  return 0;
}
