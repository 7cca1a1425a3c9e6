// Rootfs mounting (see rootfs.h), following containerd's mount.Mount semantics: options that are mount
// flags become flags, the rest is the filesystem's data string.
#include "shim/rootfs.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace wasipool::shim {

namespace {

struct FlagOption {
  std::string_view name;
  bool clear;
  unsigned long flag;
};

constexpr FlagOption kFlags[] = {
    {"async", true, MS_SYNCHRONOUS}, {"atime", true, MS_NOATIME},     {"bind", false, MS_BIND},
    {"defaults", false, 0},          {"dev", true, MS_NODEV},         {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},  {"exec", true, MS_NOEXEC},       {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},  {"nodev", false, MS_NODEV},      {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},    {"nomand", true, MS_MANDLOCK},   {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"nosuid", false, MS_NOSUID},
    {"rbind", false, MS_BIND | MS_REC},      {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},  {"ro", false, MS_RDONLY},        {"rw", true, MS_RDONLY},
    {"strictatime", false, MS_STRICTATIME},  {"suid", true, MS_NOSUID}, {"sync", false, MS_SYNCHRONOUS},
};

void parse_options(const std::vector<std::string>& options, unsigned long* flags, std::string* data) {
  *flags = 0;
  data->clear();
  for (const auto& o : options) {
    bool matched = false;
    for (const auto& f : kFlags) {
      if (o == f.name) {
        if (f.clear) *flags &= ~f.flag;
        else *flags |= f.flag;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (!data->empty()) data->push_back(',');
    data->append(o);
  }
}

std::string mount_one(const MountSpec& m, const std::string& target, size_t index) {
  unsigned long flags = 0;
  std::string data;
  parse_options(m.options, &flags, &data);
  std::string where = "rootfs mount " + std::to_string(index) + " (" + m.type + " " + m.source + " on " +
                      target + ")";
  // The kernel takes at most one page of mount data; a longer overlay lowerdir list would be cut.
  if (data.size() >= 4096) return where + ": mount options are longer than a page (" +
                                  std::to_string(data.size()) + " bytes)";
  bool bind = (flags & MS_BIND) != 0 || m.type == "bind";
  const char* type = bind ? nullptr : m.type.c_str();
  if (::mount(m.source.c_str(), target.c_str(), type, (flags & ~MS_RDONLY) | (bind ? 0 : (flags & MS_RDONLY)),
              data.empty() ? nullptr : data.c_str()) != 0)
    return where + ": " + std::strerror(errno);
  // A bind mount ignores MS_RDONLY on creation: remount to make it read-only.
  if (bind && (flags & MS_RDONLY) &&
      ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & MS_REC), nullptr) != 0) {
    std::string err = where + ": remount read-only: " + std::strerror(errno);
    ::umount2(target.c_str(), MNT_DETACH);
    return err;
  }
  return "";
}

}  // namespace

std::string mount_rootfs(const std::vector<MountSpec>& mounts, const std::string& target) {
  for (size_t i = 0; i < mounts.size(); ++i) {
    std::string where = target;
    if (!mounts[i].target.empty()) {
      // A target escaping the rootfs (..) would mount over the host: refuse it.
      if (mounts[i].target.find("..") != std::string::npos)
        return "rootfs mount " + std::to_string(i) + ": target \"" + mounts[i].target + "\" contains ..";
      where = target + "/" + mounts[i].target;
    }
    std::string err = mount_one(mounts[i], where, i);
    if (!err.empty()) {
      unmount_rootfs(target);
      return err;
    }
  }
  return "";
}

std::string unmount_rootfs(const std::string& target) {
  // Mounts may be stacked (several entries on the same target): unmount until nothing is left.
  for (int i = 0; i < 64; ++i) {
    if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) return "";  // not a mount point (any more)
    if (errno == EBUSY && ::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
    return "unmount " + target + ": " + std::strerror(errno);
  }
  return "unmount " + target + ": still mounted after 64 unmounts";
}

}  // namespace wasipool::shim
