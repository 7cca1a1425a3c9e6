// path_* functions. Each one resolves its path(s) with the sandbox resolver and then acts with an
// *at() syscall on (resolved parent fd, single final name): the kernel never walks a guest string.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "host.h"
#include "path_resolve.h"

namespace wasipool::wasi {

uint16_t make_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]);

namespace {

using namespace abi;
namespace R = abi::rights;

constexpr int kRaceRetries = 8;  // a final symlink that appears between resolve and use

uint16_t errno_now() { return from_host_errno(errno); }

// Reads the guest path and resolves it beneath `dir`.
uint16_t resolve_arg(Call& c, FdEntry* dir, uint32_t ptr, uint32_t len, ResolveOptions o,
                     ResolvedPath& rp) {
  std::string path;
  if (uint16_t r = read_string(c, ptr, len, path)) return r;
  return resolve_path(c.ctx, dir->host, path, o, rp);
}

// The final name as handed to "entry" syscalls (mkdirat, unlinkat, renameat, symlinkat, linkat's
// new name): the trailing slash is kept so Linux applies its exact trailing-slash errors. Safe
// because these syscalls look the last component up without following it, slash or not.
std::string entry_name(const ResolvedPath& rp) {
  return rp.trailing_slash ? rp.name + "/" : rp.name;
}

bool is_symlink_at(int dir, const std::string& name) {
  struct stat st;
  return ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

uint16_t path_open(Call& c) {
  uint32_t dirflags = c.u32(1), oflags_ = c.u32(4), fdflags_ = c.u32(7);
  uint64_t want_base = c.u64(5), want_inh = c.u64(6);
  uint64_t need = R::kPathOpen;
  if (oflags_ & oflags::kCreat) need |= R::kPathCreateFile;
  if (oflags_ & oflags::kTrunc) need |= R::kPathFilestatSetSize;
  FdEntry* dir;
  if (uint16_t r = lookup_dir(c, c.u32(0), need, dir)) return r;
  if (oflags_ & ~0xfu) return kInval;
  if (fdflags_ & ~0x1fu) return kInval;
  // Host-side enforcement of read-only preopens: no create and no truncate, whatever rights the
  // guest claims (it could have obtained the fd before we stripped them; the bit cannot be undone).
  if (dir->read_only && (oflags_ & (oflags::kCreat | oflags::kTrunc))) return kNotCapable;
  if (!c.mem.bytes(c.u32(8), 4)) return kFault;  // check the out-pointer before any side effect

  // New rights never exceed what the directory may hand down.
  uint64_t base = want_base & dir->rights_inheriting;
  uint64_t inh = want_inh & dir->rights_inheriting;
  const bool want_write = (base & R::kNeedsHostWrite) != 0 && !dir->read_only;
  bool want_read = (base & R::kNeedsHostRead) != 0 || !want_write;
  int flags = O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;  // the kernel never follows the final name
  flags |= want_write ? (want_read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags_ & oflags::kCreat) flags |= O_CREAT;
  if (oflags_ & oflags::kExcl) flags |= O_EXCL;
  if (oflags_ & oflags::kTrunc) flags |= O_TRUNC;
  if (oflags_ & oflags::kDirectory) flags |= O_DIRECTORY;
  if (fdflags_ & fdflags::kAppend) flags |= O_APPEND;
  if (fdflags_ & fdflags::kNonblock) flags |= O_NONBLOCK;
  if (fdflags_ & fdflags::kDsync) flags |= O_DSYNC;
  if (fdflags_ & fdflags::kRsync) flags |= O_RSYNC;
  if (fdflags_ & fdflags::kSync) flags |= O_SYNC;

  ResolveOptions opts{(dirflags & kLookupSymlinkFollow) != 0, true};
  std::string path;
  if (uint16_t r = read_string(c, c.u32(2), c.u32(3), path)) return r;
  int fd = -1;
  for (int attempt = 0;; ++attempt) {
    ResolvedPath rp;
    if (uint16_t r = resolve_path(c.ctx, dir->host, path, opts, rp)) return r;
    int f = flags;
    if (rp.trailing_slash) {
      if (f & O_CREAT) return kIsDir;  // "name/" can only ever name a directory
      f |= O_DIRECTORY;
    }
    // A directory asked for with write rights fails with EISDIR, as on POSIX (and wasmtime).
    fd = ::openat(rp.parent, rp.name.c_str(), f, 0666);
    if (fd < 0 && errno == ELOOP && opts.follow_final && attempt < kRaceRetries &&
        is_symlink_at(rp.parent, rp.name))
      continue;  // swapped for a symlink after we resolved it: resolve again, never follow blindly
    break;
  }
  if (fd < 0) return errno_now();
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return from_host_errno(e);
  }
  auto e = std::make_unique<FdEntry>();
  e->host = fd;
  e->filetype = filetype_of_mode(st.st_mode);
  e->read_only = dir->read_only;
  if (e->filetype == kDirectory) {
    e->rights_base = base & R::kDirectory;
  } else {
    e->rights_base = base & (R::kFile | R::kSocket);
    if (!want_write) e->rights_base &= ~R::kNeedsHostWrite;
  }
  e->rights_inheriting = inh;
  int64_t n = c.ctx.insert(std::move(e));
  if (n < 0) {
    ::close(fd);
    return kMfile;
  }
  return store<uint32_t>(c, c.u32(8), static_cast<uint32_t>(n));
}

uint16_t path_create_directory(Call& c) {
  FdEntry* dir;
  if (uint16_t r = lookup_dir(c, c.u32(0), R::kPathCreateDirectory, dir)) return r;
  if (dir->read_only) return kNotCapable;
  ResolvedPath rp;
  if (uint16_t r = resolve_arg(c, dir, c.u32(1), c.u32(2), {false, false}, rp)) return r;
  return ::mkdirat(rp.parent, entry_name(rp).c_str(), 0777) == 0 ? kSuccess : errno_now();
}

// fstatat on a resolved path, never letting the kernel follow the final name.
uint16_t stat_resolved(Call& c, FdEntry* dir, const std::string& path, bool follow,
                       struct stat& st) {
  ResolveOptions opts{follow, true};
  for (int attempt = 0;; ++attempt) {
    ResolvedPath rp;
    if (uint16_t r = resolve_path(c.ctx, dir->host, path, opts, rp)) return r;
    if (::fstatat(rp.parent, rp.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_now();
    if (S_ISLNK(st.st_mode) && (follow || rp.trailing_slash)) {
      if (attempt < kRaceRetries) continue;  // raced with a symlink swap
      return kLoop;
    }
    if (rp.trailing_slash && !S_ISDIR(st.st_mode)) return kNotDir;
    return kSuccess;
  }
}

uint16_t path_filestat_get(Call& c) {
  FdEntry* dir;
  if (uint16_t r = lookup_dir(c, c.u32(0), R::kPathFilestatGet, dir)) return r;
  std::string path;
  if (uint16_t r = read_string(c, c.u32(2), c.u32(3), path)) return r;
  struct stat st;
  if (uint16_t r = stat_resolved(c, dir, path, (c.u32(1) & kLookupSymlinkFollow) != 0, st))
    return r;
  return store_filestat(c, c.u32(4), st);
}

uint16_t path_filestat_set_times(Call& c) {
  FdEntry* dir;
  if (uint16_t r = lookup_dir(c, c.u32(0), R::kPathFilestatSetTimes, dir)) return r;
  struct timespec ts[2];
  if (uint16_t r = make_times(c.u64(4), c.u64(5), c.u32(6), ts)) return r;
  if (dir->read_only) return kNotCapable;
  std::string path;
  if (uint16_t r = read_string(c, c.u32(2), c.u32(3), path)) return r;
  bool follow = (c.u32(1) & kLookupSymlinkFollow) != 0;
  for (int attempt = 0;; ++attempt) {
    ResolvedPath rp;
    if (uint16_t r = resolve_path(c.ctx, dir->host, path, {follow, true}, rp)) return r;
    if (follow || rp.trailing_slash) {
      struct stat st;
      if (::fstatat(rp.parent, rp.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode)) {
          if (attempt < kRaceRetries) continue;
          return kLoop;
        }
        if (rp.trailing_slash && !S_ISDIR(st.st_mode)) return kNotDir;
      }
    }
    return ::utimensat(rp.parent, rp.name.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0 ? kSuccess
                                                                                : errno_now();
  }
}

uint16_t path_link(Call& c) {
  FdEntry *src, *dst;
  if (uint16_t r = lookup_dir(c, c.u32(0), R::kPathLinkSource, src)) return r;
  if (uint16_t r = lookup_dir(c, c.u32(4), R::kPathLinkTarget, dst)) return r;
  // Both sides: a hard link from a read-only tree into a writable one would make the read-only
  // file writable through the new name.
  if (src->read_only || dst->read_only) return kNotCapable;
  bool follow = (c.u32(1) & kLookupSymlinkFollow) != 0;
  ResolvedPath from, to;
  if (uint16_t r = resolve_arg(c, src, c.u32(2), c.u32(3), {follow, true}, from)) return r;
  if (from.trailing_slash) {
    // linkat() would let the kernel follow "name/" itself; decide here instead. Only a directory
    // matches a trailing slash, and directories cannot be hard-linked.
    struct stat st;
    if (::fstatat(from.parent, from.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_now();
    return S_ISDIR(st.st_mode) ? kPerm : kNotDir;
  }
  if (uint16_t r = resolve_arg(c, dst, c.u32(5), c.u32(6), {false, false}, to)) return r;
  // Flags 0: the kernel links the name itself, never a symlink's target.
  return ::linkat(from.parent, from.name.c_str(), to.parent, entry_name(to).c_str(), 0) == 0
             ? kSuccess
             : errno_now();
}

uint16_t path_readlink(Call& c) {
  FdEntry* dir;
  if (uint16_t r = lookup_dir(c, c.u32(0), R::kPathReadlink, dir)) return r;
  ResolvedPath rp;
  if (uint16_t r = resolve_arg(c, dir, c.u32(1), c.u32(2), {false, true}, rp)) return r;
  auto out = c.mem.bytes(c.u32(3), c.u32(4));
  if (!out) return kFault;
  if (!c.mem.bytes(c.u32(5), 4)) return kFault;
  if (rp.trailing_slash) {
    // "name/" names a directory (the resolver already expanded any link safely): not a symlink.
    struct stat st;
    if (::fstatat(rp.parent, rp.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_now();
    return S_ISDIR(st.st_mode) ? kInval : kNotDir;
  }
  char buf[4096];
  ssize_t n = ::readlinkat(rp.parent, rp.name.c_str(), buf, sizeof buf);
  if (n < 0) return errno_now();
  uint32_t m = static_cast<uint32_t>(std::min<size_t>(static_cast<size_t>(n), out->size()));
  std::memcpy(out->data(), buf, m);  // truncated to the guest's buffer, like readlink(2)
  return store<uint32_t>(c, c.u32(5), m);
}

uint16_t path_remove_directory(Call& c) {
  FdEntry* dir;
  if (uint16_t r = lookup_dir(c, c.u32(0), R::kPathRemoveDirectory, dir)) return r;
  if (dir->read_only) return kNotCapable;
  ResolvedPath rp;
  if (uint16_t r = resolve_arg(c, dir, c.u32(1), c.u32(2), {false, false}, rp)) return r;
  return ::unlinkat(rp.parent, entry_name(rp).c_str(), AT_REMOVEDIR) == 0 ? kSuccess : errno_now();
}

uint16_t path_rename(Call& c) {
  FdEntry *src, *dst;
  if (uint16_t r = lookup_dir(c, c.u32(0), R::kPathRenameSource, src)) return r;
  if (uint16_t r = lookup_dir(c, c.u32(3), R::kPathRenameTarget, dst)) return r;
  // Both sides: renaming out of a read-only tree deletes from it; into one, writes to it.
  if (src->read_only || dst->read_only) return kNotCapable;
  ResolvedPath from, to;
  if (uint16_t r = resolve_arg(c, src, c.u32(1), c.u32(2), {false, false}, from)) return r;
  if (uint16_t r = resolve_arg(c, dst, c.u32(4), c.u32(5), {false, false}, to)) return r;
  return ::renameat(from.parent, entry_name(from).c_str(), to.parent, entry_name(to).c_str()) == 0
             ? kSuccess
             : errno_now();
}

uint16_t path_symlink(Call& c) {
  FdEntry* dir;
  if (uint16_t r = lookup_dir(c, c.u32(2), R::kPathSymlink, dir)) return r;
  if (dir->read_only) return kNotCapable;
  std::string target;
  if (uint16_t r = read_string(c, c.u32(0), c.u32(1), target)) return r;
  if (std::memchr(target.data(), 0, target.size()) != nullptr) return kInval;
  // We would never follow an absolute link, but a host tool walking the directory later would:
  // refuse to plant one.
  if (!target.empty() && target.front() == '/') return kNotCapable;
  ResolvedPath rp;
  if (uint16_t r = resolve_arg(c, dir, c.u32(3), c.u32(4), {false, false}, rp)) return r;
  return ::symlinkat(target.c_str(), rp.parent, entry_name(rp).c_str()) == 0 ? kSuccess
                                                                            : errno_now();
}

uint16_t path_unlink_file(Call& c) {
  FdEntry* dir;
  if (uint16_t r = lookup_dir(c, c.u32(0), R::kPathUnlinkFile, dir)) return r;
  if (dir->read_only) return kNotCapable;
  ResolvedPath rp;
  if (uint16_t r = resolve_arg(c, dir, c.u32(1), c.u32(2), {false, false}, rp)) return r;
  return ::unlinkat(rp.parent, entry_name(rp).c_str(), 0) == 0 ? kSuccess : errno_now();
}

}  // namespace

extern const FnDef kPathFunctions[] = {
    {"path_create_directory", "iii", path_create_directory},
    {"path_filestat_get", "iiiii", path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", path_filestat_set_times},
    {"path_link", "iiiiiii", path_link},
    {"path_open", "iiiiiIIii", path_open},
    {"path_readlink", "iiiiii", path_readlink},
    {"path_remove_directory", "iii", path_remove_directory},
    {"path_rename", "iiiiii", path_rename},
    {"path_symlink", "iiiii", path_symlink},
    {"path_unlink_file", "iii", path_unlink_file},
};
extern const size_t kPathFunctionCount = sizeof kPathFunctions / sizeof kPathFunctions[0];

}  // namespace wasipool::wasi
