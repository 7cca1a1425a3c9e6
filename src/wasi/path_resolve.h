// The capability sandbox's path resolver: turns (directory fd, guest path) into (parent directory
// fd, single final name) without ever leaving the directory tree the fd names. Every path
// operation then acts with an *at() call on that pair, never on a concatenated host path string.
// Rules and the threat each blocks: docs/wasi.md. Internal to src/wasi.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "context.h"

namespace wasipool::wasi {

struct ResolvedPath {
  ResolvedPath() = default;
  ResolvedPath(const ResolvedPath&) = delete;
  ResolvedPath& operator=(const ResolvedPath&) = delete;
  ~ResolvedPath();
  void reset();

  int parent = -1;      // directory holding `name`: the root fd itself, or `owned_`
  std::string name;     // one component: no '/', never "..", "." when the path names the root itself
  bool trailing_slash = false;  // the path (or the last symlink expanded into it) ended in '/'
  int owned = -1;       // descriptor the resolver opened for `parent` (closed on destruction)
};

struct ResolveOptions {
  // Expand a symlink in the final component (LOOKUPFLAGS_SYMLINK_FOLLOW).
  bool follow_final = false;
  // A trailing slash also forces the final symlink to be expanded (open/stat semantics). Entry
  // operations (unlink, rmdir, rename, link, symlink, mkdir) pass false: they act on the link.
  bool slash_follows = false;
};

constexpr int kMaxSymlinkExpansions = 40;  // like Linux's MAXSYMLINKS: loops end in ELOOP

// Resolves `path` beneath `root` (a directory descriptor). Returns a WASI errno; on success `out`
// is filled. Uses openat2(RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS) when the kernel allows it and the
// descriptor-by-descriptor walk otherwise (or when ctx.resolve_mode says so).
uint16_t resolve_path(Context& ctx, int root, std::string_view path, ResolveOptions opts,
                      ResolvedPath& out);

// The two strategies, exposed for tests.
uint16_t resolve_walk(int root, std::string_view path, ResolveOptions opts, ResolvedPath& out);
// Returns -1 (not a WASI errno) when openat2 is unavailable and the caller must fall back.
int resolve_openat2(int root, std::string_view path, ResolveOptions opts, ResolvedPath& out);

}  // namespace wasipool::wasi
