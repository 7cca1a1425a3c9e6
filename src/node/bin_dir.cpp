// See bin_dir.h.
#include "node/bin_dir.h"

#include <cerrno>
#include <cstring>
#include <utility>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/handlers.h"
#include "node/process.h"

namespace wasipool::node {
namespace {

std::string sys_error(const std::string& what) { return what + ": " + std::strerror(errno); }

std::vector<std::string> managed_names() {
  std::vector<std::string> names{std::string(kBinaryName), std::string(kShimBinaryName)};
  for (const Handler& h : kHandlers) names.emplace_back(h.shim_binary);
  return names;
}

// The basename a symlink points at ("" if `path` is not a symlink).
std::string link_target_name(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n < 0) return "";
  std::string target(buf, static_cast<std::size_t>(n));
  std::size_t slash = target.rfind('/');
  return slash == std::string::npos ? target : target.substr(slash + 1);
}

bool is_link_to_shim(const std::string& path) { return link_target_name(path) == kShimBinaryName; }

bool same_inode(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// Copies `from` to `dir/.name.wasipool-tmp`, then renames it to `dir/name`.
bool copy_atomically(const std::string& from, const std::string& dir, const std::string& name, std::string* error) {
  std::string tmp = dir + "/." + name + ".wasipool-tmp";
  std::string dest = dir + "/" + name;
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    *error = sys_error("open " + from);
    return false;
  }
  unlink(tmp.c_str());
  // O_EXCL|O_NOFOLLOW: a link planted at the temp name must not make us write the binary elsewhere.
  int out = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
  if (out < 0) {
    *error = sys_error("create " + tmp);
    close(in);
    return false;
  }
  char buf[1 << 16];
  ssize_t n;
  bool ok = true;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, static_cast<std::size_t>(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        ok = false;
        break;
      }
      off += w;
    }
    if (!ok) break;
  }
  if (n < 0) ok = false;
  if (!ok) *error = sys_error("copy " + from + " to " + tmp);
  // fchmod: the umask must not leave the shim unexecutable for containerd.
  if (ok && (fchmod(out, 0755) != 0 || fsync(out) != 0)) {
    ok = false;
    *error = sys_error("finish " + tmp);
  }
  close(in);
  close(out);
  if (ok && rename(tmp.c_str(), dest.c_str()) != 0) {
    ok = false;
    *error = sys_error("rename " + tmp + " to " + dest);
  }
  if (!ok) unlink(tmp.c_str());
  return ok;
}

bool symlink_atomically(const std::string& dir, const std::string& name, std::string* error) {
  std::string tmp = dir + "/." + name + ".wasipool-tmp";
  std::string dest = dir + "/" + name;
  unlink(tmp.c_str());
  if (symlink(std::string(kShimBinaryName).c_str(), tmp.c_str()) != 0) {
    *error = sys_error("symlink " + tmp);
    return false;
  }
  if (rename(tmp.c_str(), dest.c_str()) != 0) {
    *error = sys_error("rename " + tmp + " to " + dest);
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace

bool same_file_content(const std::string& a, const std::string& b) {
  int fa = open(a.c_str(), O_RDONLY | O_CLOEXEC);
  if (fa < 0) return false;
  int fb = open(b.c_str(), O_RDONLY | O_CLOEXEC);
  if (fb < 0) {
    close(fa);
    return false;
  }
  struct stat sa, sb;
  bool same = fstat(fa, &sa) == 0 && fstat(fb, &sb) == 0 && sa.st_size == sb.st_size;
  static char ba[1 << 16], bb[1 << 16];
  while (same) {
    ssize_t na = read(fa, ba, sizeof ba);
    if (na <= 0) {
      same = na == 0;
      break;
    }
    ssize_t got = 0;
    while (got < na) {
      ssize_t nb = read(fb, bb + got, static_cast<std::size_t>(na - got));
      if (nb <= 0) break;
      got += nb;
    }
    same = got == na && std::memcmp(ba, bb, static_cast<std::size_t>(na)) == 0;
  }
  close(fa);
  close(fb);
  return same;
}

BinSources sources_beside(const std::string& self_exe) {
  char buf[4096];
  ssize_t n = readlink(self_exe.c_str(), buf, sizeof buf - 1);  // /proc/self/exe -> the real path
  std::string real = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : self_exe;
  std::size_t slash = real.rfind('/');
  std::string dir = slash == std::string::npos ? "." : real.substr(0, slash);
  return {dir + "/" + std::string(kBinaryName), dir + "/" + std::string(kShimBinaryName)};
}

std::vector<BinEntryStatus> bin_dir_status(const std::string& dir, const BinSources& src) {
  std::vector<BinEntryStatus> out;
  const std::string shim = dir + "/" + std::string(kShimBinaryName);
  for (const std::string& name : managed_names()) {
    BinEntryStatus s;
    s.name = name;
    std::string path = dir + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) {
      s.state = "missing";
    } else if (name == kBinaryName || name == kShimBinaryName) {
      const std::string& from = name == kBinaryName ? src.cli : src.shim;
      if (!S_ISREG(st.st_mode)) {
        s.state = "present but not a regular file";
      } else {
        s.ours = true;
        s.current = same_inode(path, from) || same_file_content(path, from);
        s.state = s.current ? std::string(name == kBinaryName ? "same binary as this one"
                                                              : "same binary as the wasipool-shim beside this one") +
                                  " (" + std::to_string(st.st_size) + " bytes)"
                            : "a different " + name + " build (" + std::to_string(st.st_size) +
                                  " bytes; reinstall to update)";
      }
    } else if (S_ISLNK(st.st_mode) && is_link_to_shim(path)) {
      s.ours = true;
      s.current = is_executable_file(path);
      s.state = s.current ? "-> wasipool-shim" : "-> wasipool-shim (dangling: wasipool-shim missing)";
    } else if (S_ISLNK(st.st_mode) && link_target_name(path) == kBinaryName) {
      s.ours = true;  // the earlier one-binary layout; install relinks it
      s.state = "-> wasipool (earlier layout: will point at wasipool-shim)";
    } else if (S_ISREG(st.st_mode) && same_file_content(path, shim)) {
      s.ours = true;  // a copy of our shim binary; install turns it into a symlink
      s.state = "copy of wasipool-shim (will become a symlink)";
    } else {
      s.state = "NOT OURS (another shim is installed under this name)";
    }
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> bin_dir_conflicts(const std::string& dir, const BinSources& src) {
  std::vector<std::string> out;
  for (const BinEntryStatus& s : bin_dir_status(dir, src))
    if (!s.ours && s.state != "missing") out.push_back(dir + "/" + s.name + ": " + s.state);
  return out;
}

bool install_bin_dir(const std::string& dir, const BinSources& src, std::vector<std::string>* changes,
                     std::string* error) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *error = "bin dir " + dir + " does not exist or is not a directory";
    return false;
  }
  for (const std::string& from : {src.cli, src.shim}) {
    if (!is_executable_file(from)) {
      *error = from + " is missing or not executable (wasipool and wasipool-shim are installed together)";
      return false;
    }
  }
  // The shim binary before the CLI, the links last: a shim name never points at a missing file. The
  // running binary may be the installed one (`/usr/local/bin/wasipool node install`): nothing to copy.
  for (const auto& [from, name] : {std::pair{src.shim, kShimBinaryName}, std::pair{src.cli, kBinaryName}}) {
    const std::string dest = dir + "/" + std::string(name);
    if (same_inode(dest, from) || same_file_content(dest, from)) continue;
    if (!copy_atomically(from, dir, std::string(name), error)) return false;
    changes->push_back("installed " + dest);
  }
  for (const Handler& h : kHandlers) {
    std::string path = dir + "/" + std::string(h.shim_binary);
    struct stat lst;
    if (lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode) && is_link_to_shim(path)) continue;
    if (!symlink_atomically(dir, std::string(h.shim_binary), error)) return false;
    changes->push_back("linked " + path + " -> wasipool-shim");
  }
  return true;
}

bool uninstall_bin_dir(const std::string& dir, const BinSources& src, std::vector<std::string>* changes,
                       std::string* error) {
  std::vector<BinEntryStatus> status = bin_dir_status(dir, src);
  // Links first, the binaries last: a shim name never points at a missing binary while others remain.
  for (auto it = status.rbegin(); it != status.rend(); ++it) {
    std::string path = dir + "/" + it->name;
    if (it->state == "missing") continue;
    if (!it->ours) {
      changes->push_back("left " + path + " (not installed by wasipool)");
      continue;
    }
    if (unlink(path.c_str()) != 0) {
      *error = sys_error("remove " + path);
      return false;
    }
    changes->push_back("removed " + path);
  }
  return true;
}

}  // namespace wasipool::node
