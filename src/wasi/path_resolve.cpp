// Sandboxed path resolution (see path_resolve.h and docs/wasi.md).
#include "path_resolve.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace wasipool::wasi {

ResolvedPath::~ResolvedPath() { reset(); }

void ResolvedPath::reset() {
  if (owned >= 0) ::close(owned);
  owned = -1;
  parent = -1;
  name.clear();
  trailing_slash = false;
}

namespace {

// Checks shared by both strategies. Absolute paths are refused outright: the ABI has no root, and
// accepting one would resolve against the host's "/" (the classic escape).
uint16_t precheck(std::string_view path) {
  if (path.empty()) return abi::kNoEnt;
  // An embedded NUL would silently truncate the name the kernel sees.
  if (std::memchr(path.data(), 0, path.size()) != nullptr) return abi::kInval;
  if (path.front() == '/') return abi::kNotCapable;
  if (path.size() >= 4096) return abi::kNameTooLong;
  return abi::kSuccess;
}

// readlinkat() into a string. 0 = it is a symlink (target in `out`), else the host errno
// (EINVAL: exists but is not a symlink; ENOENT: does not exist).
int read_link(int dir, const std::string& name, std::string& out) {
  char buf[4096];
  ssize_t n = ::readlinkat(dir, name.c_str(), buf, sizeof buf);
  if (n < 0) return errno;
  if (static_cast<size_t>(n) >= sizeof buf) return ENAMETOOLONG;
  out.assign(buf, static_cast<size_t>(n));
  return 0;
}

// Pushes the components of `p` onto a work stack (reverse order, so back() is the next one).
// Empty components ("a//b") are dropped. Returns whether `p` ends in '/'.
bool push_components(std::vector<std::string>& work, std::string_view p) {
  bool trailing = !p.empty() && p.back() == '/';
  std::vector<std::string_view> comps;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    if (j > i) comps.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  for (auto it = comps.rbegin(); it != comps.rend(); ++it) work.emplace_back(*it);
  return trailing;
}

// A symlink target is usable only if relative and non-empty: an absolute target would restart
// resolution at the host's "/", outside every preopen.
uint16_t check_target(const std::string& target, int& expansions) {
  if (++expansions > kMaxSymlinkExpansions) return abi::kLoop;  // loops and chains end here
  if (target.empty()) return abi::kNoEnt;
  if (target.front() == '/') return abi::kNotCapable;
  return abi::kSuccess;
}

long sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = flags;
  how.resolve = resolve;
  return ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

}  // namespace

uint16_t resolve_walk(int root, std::string_view path, ResolveOptions opts, ResolvedPath& out) {
  out.reset();
  if (uint16_t e = precheck(path)) return e;
  // Our own stack of directory descriptors: `..` pops it and never asks the kernel for a parent,
  // so no sequence of components can name anything above `root`.
  std::vector<int> stack;
  auto top = [&] { return stack.empty() ? root : stack.back(); };
  auto fail = [&](uint16_t e) {
    for (int fd : stack) ::close(fd);
    return e;
  };
  std::vector<std::string> work;
  bool must_dir = push_components(work, path);
  int expansions = 0;
  std::string final_name = ".";
  while (!work.empty()) {
    std::string comp = std::move(work.back());
    work.pop_back();
    bool last = work.empty();
    if (comp == ".") {
      if (last) final_name = ".";
      continue;
    }
    if (comp == "..") {
      if (stack.empty()) return fail(abi::kNotCapable);  // `..` past the preopen root
      ::close(stack.back());
      stack.pop_back();
      if (last) final_name = ".";
      continue;
    }
    if (last) {
      if (opts.follow_final || (opts.slash_follows && must_dir)) {
        std::string target;
        if (read_link(top(), comp, target) == 0) {
          if (uint16_t e = check_target(target, expansions)) return fail(e);
          if (push_components(work, target)) must_dir = true;
          if (work.empty()) final_name = ".";  // target was "." or "a/.." style: handled by loop
          continue;
        }
      }
      final_name = std::move(comp);
      break;
    }
    // Intermediate component: must be a real directory. O_NOFOLLOW means the kernel never
    // expands a symlink here; we do it ourselves under the rules above.
    int fd = ::openat(top(), comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      stack.push_back(fd);
      continue;
    }
    int err = errno;
    if (err == ENOTDIR || err == ELOOP) {
      std::string target;
      if (read_link(top(), comp, target) == 0) {
        if (uint16_t e = check_target(target, expansions)) return fail(e);
        push_components(work, target);
        continue;
      }
      return fail(abi::kNotDir);
    }
    return fail(abi::from_host_errno(err));
  }
  // Keep only the top of the stack: it is the parent of the final name.
  for (size_t i = 0; i + 1 < stack.size(); ++i) ::close(stack[i]);
  if (!stack.empty()) {
    out.owned = stack.back();
    out.parent = out.owned;
  } else {
    out.parent = root;
  }
  out.name = std::move(final_name);
  out.trailing_slash = must_dir;
  return abi::kSuccess;
}

int resolve_openat2(int root, std::string_view path, ResolveOptions opts, ResolvedPath& out) {
  out.reset();
  if (uint16_t e = precheck(path)) return e;
  // RESOLVE_BENEATH: the kernel refuses (EXDEV) any step -- `..`, absolute symlink, or a symlink
  // whose target climbs out -- that would leave `root`. NO_MAGICLINKS: /proc/self/fd/N style links
  // (which could hand out an unrelated descriptor) are refused too.
  constexpr uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  std::string cur(path);
  int expansions = 0;
  for (;;) {
    bool must_dir = false;
    while (cur.size() > 1 && cur.back() == '/') {
      cur.pop_back();
      must_dir = true;
    }
    size_t slash = cur.rfind('/');
    std::string dir = slash == std::string::npos ? std::string() : cur.substr(0, slash);
    std::string last = slash == std::string::npos ? cur : cur.substr(slash + 1);
    bool names_dir_itself = last == "." || last == "..";
    std::string to_open = names_dir_itself ? cur : dir;
    int parent = root, owned = -1;
    if (!to_open.empty()) {
      long fd = -1;
      for (int attempt = 0; attempt < 8; ++attempt) {  // EAGAIN: a concurrent rename; retry
        fd = sys_openat2(root, to_open.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, kResolve);
        if (fd >= 0 || errno != EAGAIN) break;
      }
      if (fd < 0) {
        int err = errno;
        if (err == ENOSYS || err == EPERM || err == EAGAIN || err == E2BIG) return -1;
        if (err == EXDEV) return abi::kNotCapable;  // the kernel saw an escape attempt
        return abi::from_host_errno(err);
      }
      owned = static_cast<int>(fd);
      parent = owned;
    }
    if (names_dir_itself) {
      out.owned = owned;
      out.parent = parent;
      out.name = ".";
      out.trailing_slash = must_dir;
      return abi::kSuccess;
    }
    if (opts.follow_final || (opts.slash_follows && must_dir)) {
      std::string target;
      if (read_link(parent, last, target) == 0) {
        if (owned >= 0) ::close(owned);
        if (uint16_t e = check_target(target, expansions)) return e;
        // Re-resolve from the root with the link's directory prefixed: same meaning as resolving
        // the target relative to the link, and RESOLVE_BENEATH still confines every step.
        cur = dir.empty() ? target : dir + "/" + target;
        if (must_dir) cur += "/";
        continue;
      }
    }
    out.owned = owned;
    out.parent = parent;
    out.name = std::move(last);
    out.trailing_slash = must_dir;
    return abi::kSuccess;
  }
}

uint16_t resolve_path(Context& ctx, int root, std::string_view path, ResolveOptions opts,
                      ResolvedPath& out) {
  if (ctx.resolve_mode != ResolveMode::Walk && ctx.openat2_works) {
    int r = resolve_openat2(root, path, opts, out);
    if (r >= 0) return static_cast<uint16_t>(r);
    // Forced openat2 (tests): never fall back silently, so a test cannot pass on the other path.
    if (ctx.resolve_mode == ResolveMode::Openat2) return abi::kNoSys;
    // ENOSYS (old kernel) or EPERM (seccomp) once means always: stop trying.
    if (errno == ENOSYS || errno == EPERM) ctx.openat2_works = false;
  }
  return resolve_walk(root, path, opts, out);
}

}  // namespace wasipool::wasi
