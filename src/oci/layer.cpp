#include "oci/layer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "oci/tar_writer.h"

namespace wasipool::oci {
namespace {

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

Result<std::string, std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return fail(errno_text("cannot open", path));
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto e = errno_text("cannot read", path);
      ::close(fd);
      return fail(e);
    }
    if (n == 0) break;
    data.append(buf, size_t(n));
  }
  ::close(fd);
  return data;
}

Result<std::vector<std::string>, std::string> sorted_entries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail(errno_text("cannot open directory", dir));
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());  // byte order: the same tree always gives the same tar
  return names;
}

// rel: path inside the layer ("" for the root); abs: where it is on disk.
Result<Ok, std::string> add_tree(TarWriter& tar, const std::string& abs, const std::string& rel) {
  auto names = sorted_entries(abs);
  if (!names) return fail(names.error());
  for (const std::string& name : *names) {
    std::string a = abs + "/" + name, r = rel.empty() ? name : rel + "/" + name;
    if (name.rfind(".wh.", 0) == 0) return fail("'" + a + "': names starting with .wh. are OCI whiteouts");
    struct stat st;
    if (::lstat(a.c_str(), &st) != 0) return fail(errno_text("cannot stat", a));
    Result<Ok, std::string> ok = Ok{};
    if (S_ISDIR(st.st_mode)) {
      ok = tar.add_dir(r, st.st_mode);
      if (ok) ok = add_tree(tar, a, r);
    } else if (S_ISREG(st.st_mode)) {
      auto data = read_file(a);
      if (!data) return fail(data.error());
      ok = tar.add_file(r, st.st_mode, *data);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(size_t(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(a.c_str(), target.data(), target.size());
      if (n < 0) return fail(errno_text("cannot read link", a));
      target.resize(size_t(n));
      ok = tar.add_symlink(r, target);
    } else {
      return fail("'" + a + "': unsupported file type (only files, directories and symlinks go into an image)");
    }
    if (!ok) return ok;
  }
  return Ok{};
}

}  // namespace

Result<std::string, std::string> layer_from_dir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return fail(errno_text("cannot read directory", dir));
  if (!S_ISDIR(st.st_mode)) return fail("'" + dir + "' is not a directory");
  TarWriter tar;
  auto ok = add_tree(tar, dir, "");
  if (!ok) return fail(ok.error());
  return tar.finish();
}

}  // namespace wasipool::oci
