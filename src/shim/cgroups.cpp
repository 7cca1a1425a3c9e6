// Cgroup paths, limits, membership and removal (see cgroups.h); metrics are in cgroups_stats.cpp.
#include "shim/cgroups.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

namespace wasipool::shim {

namespace {

constexpr const char* kRoot = "/sys/fs/cgroup";
constexpr const char* kV1Controllers[] = {"memory", "cpu", "cpuacct", "pids"};

bool write_file(const std::string& path, const std::string& value, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  ssize_t n = ::write(fd, value.data(), value.size());
  int e = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    *error = path + ": write \"" + value + "\": " + std::strerror(n < 0 ? e : EIO);
    return false;
  }
  return true;
}

bool mkdir_p(const std::string& path, std::string* error) {
  std::string cur;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    cur += "/" + part;
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
      *error = "mkdir " + cur + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

// Mount points of the v1 hierarchies, from /proc/self/mountinfo (fstype "cgroup", super options list
// the controllers: "rw,memory" or "rw,cpu,cpuacct").
std::string v1_mount_of_uncached(const std::string& controller) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    size_t sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    std::istringstream tail(line.substr(sep + 3));
    std::string fstype, source, super;
    tail >> fstype >> source >> super;
    if (fstype != "cgroup") continue;
    std::stringstream opts(super);
    std::string o;
    bool match = false;
    while (std::getline(opts, o, ','))
      if (o == controller) match = true;
    if (!match) continue;
    std::istringstream head(line.substr(0, sep));
    std::string id, parent, devno, root, mount_point;
    head >> id >> parent >> devno >> root >> mount_point;
    return mount_point;
  }
  return "";
}

// Hierarchies are mounted once at boot, and every container's Create asks for four of them: the kernel
// formats the whole mount table for each read, so a found mount point is remembered for the process.
std::string v1_mount_of(const std::string& controller) {
  static std::mutex mu;
  static std::map<std::string, std::string> found;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = found.find(controller); it != found.end()) return it->second;
  std::string m = v1_mount_of_uncached(controller);
  if (!m.empty()) found.emplace(controller, m);
  return m;
}

// "slice:prefix:name" -> "/a.slice/a-b.slice/<prefix>-<name>.scope" as systemd lays it out (runc's
// expandSlice). Without systemd nobody manages these directories, so we create them as cgroupfs would.
bool systemd_to_path(const std::string& spec, std::string* out, std::string* error) {
  size_t c1 = spec.find(':');
  size_t c2 = spec.find(':', c1 + 1);
  if (c2 == std::string::npos || spec.find(':', c2 + 1) != std::string::npos) {
    *error = "linux.cgroupsPath \"" + spec + "\": expected \"slice:prefix:name\"";
    return false;
  }
  std::string slice = spec.substr(0, c1), prefix = spec.substr(c1 + 1, c2 - c1 - 1), name = spec.substr(c2 + 1);
  if (slice.empty()) slice = "system.slice";
  std::string path;
  if (slice != "-.slice") {
    const std::string suffix = ".slice";
    if (slice.size() <= suffix.size() || slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) != 0 ||
        slice.find('/') != std::string::npos) {
      *error = "linux.cgroupsPath \"" + spec + "\": slice \"" + slice + "\" is not a *.slice name";
      return false;
    }
    std::string base = slice.substr(0, slice.size() - suffix.size());
    std::string acc;
    std::stringstream ss(base);
    std::string comp;
    while (std::getline(ss, comp, '-')) {
      if (comp.empty()) {
        *error = "linux.cgroupsPath \"" + spec + "\": bad slice name \"" + slice + "\"";
        return false;
      }
      acc += acc.empty() ? comp : "-" + comp;
      path += "/" + acc + ".slice";
    }
  }
  if (name.empty() || name.find('/') != std::string::npos) {
    *error = "linux.cgroupsPath \"" + spec + "\": bad unit name \"" + name + "\"";
    return false;
  }
  path += "/" + (prefix.empty() ? name : prefix + "-" + name) + ".scope";
  *out = path;
  return true;
}

}  // namespace

bool read_small_file(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

std::string Cgroup::open(const std::string& spec_path, bool create, Cgroup* out) {
  *out = Cgroup{};
  std::string rel = spec_path;
  std::string error;
  if (rel.find(':') != std::string::npos) {
    if (!systemd_to_path(spec_path, &rel, &error)) return error;
  } else if (rel.empty() || rel[0] != '/') {
    rel = "/" + rel;  // relative paths are taken from the roots: the shim itself is not in a container cgroup
  }
  // cgroupsPath comes from the client; ".." would let it write limits into (or rmdir) any cgroup.
  if (rel.find("/../") != std::string::npos || (rel.size() >= 3 && rel.compare(rel.size() - 3, 3, "/..") == 0))
    return "linux.cgroupsPath \"" + spec_path + "\": must not contain ..";
  while (rel.size() > 1 && rel.back() == '/') rel.pop_back();
  if (rel == "/") return "linux.cgroupsPath \"" + spec_path + "\": the root cgroup cannot be a container's";
  out->rel_ = rel;

  struct statfs sfs;
  if (::statfs(kRoot, &sfs) != 0) return std::string(kRoot) + ": " + std::strerror(errno);
  out->v2_ = static_cast<uint32_t>(sfs.f_type) == CGROUP2_SUPER_MAGIC;
  if (out->v2_) {
    std::string dir = std::string(kRoot) + rel;
    if (create) {
      // Enable the controllers on every ancestor so the leaf gets memory/cpu/pids files. Best effort:
      // a controller may be missing on this kernel; apply() reports what it cannot set.
      std::string cur = kRoot;
      std::stringstream ss(rel);
      std::string part;
      std::vector<std::string> parts;
      while (std::getline(ss, part, '/'))
        if (!part.empty()) parts.push_back(part);
      for (size_t i = 0; i < parts.size(); ++i) {
        std::string ignored;
        write_file(cur + "/cgroup.subtree_control", "+memory +cpu +pids", &ignored);
        cur += "/" + parts[i];
        if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return "mkdir " + cur + ": " + std::strerror(errno);
      }
    }
    out->dirs_.emplace_back("", dir);
    return "";
  }
  for (const char* c : kV1Controllers) {
    std::string mp = v1_mount_of(c);
    if (mp.empty()) continue;  // controller not mounted on this host
    std::string dir = mp + rel;
    if (create && !mkdir_p(dir, &error)) return error;
    out->dirs_.emplace_back(c, dir);
  }
  if (out->dirs_.empty()) return "no cgroup v1 memory/cpu/cpuacct/pids hierarchy is mounted";
  return "";
}

std::string Cgroup::dir_of(const char* controller) const {
  for (const auto& [c, d] : dirs_)
    if (v2_ || c == controller) return d;
  return "";
}

bool Cgroup::exists() const {
  for (const auto& [c, d] : dirs_) {
    struct stat st;
    if (::stat(d.c_str(), &st) == 0) return true;
  }
  return false;
}

std::string Cgroup::apply(const OciResources& res) const {
  std::string error;
  if (res.memory_limit && *res.memory_limit > 0) {
    std::string mem = dir_of("memory");
    if (mem.empty()) return "memory limit requested but no memory cgroup controller is mounted";
    if (!write_file(mem + (v2_ ? "/memory.max" : "/memory.limit_in_bytes"), std::to_string(*res.memory_limit),
                    &error))
      return error;
  }
  std::string cpu = dir_of("cpu");
  if (!cpu.empty()) {
    if (res.cpu_shares && *res.cpu_shares > 0) {
      if (v2_) {
        // runc's conversion from v1 shares [2, 262144] to v2 weight [1, 10000].
        uint64_t shares = std::max<uint64_t>(2, std::min<uint64_t>(*res.cpu_shares, 262144));
        uint64_t weight = 1 + ((shares - 2) * 9999) / 262142;
        if (!write_file(cpu + "/cpu.weight", std::to_string(weight), &error)) return error;
      } else if (!write_file(cpu + "/cpu.shares", std::to_string(*res.cpu_shares), &error)) {
        return error;
      }
    }
    if (res.cpu_quota || res.cpu_period) {
      uint64_t period = res.cpu_period.value_or(100000);
      int64_t quota = res.cpu_quota.value_or(-1);
      if (v2_) {
        std::string v = (quota > 0 ? std::to_string(quota) : std::string("max")) + " " + std::to_string(period);
        if (!write_file(cpu + "/cpu.max", v, &error)) return error;
      } else {
        // Period first: the kernel rejects a quota smaller than 1 ms relative to the current period.
        if (!write_file(cpu + "/cpu.cfs_period_us", std::to_string(period), &error)) return error;
        if (!write_file(cpu + "/cpu.cfs_quota_us", std::to_string(quota > 0 ? quota : -1), &error)) return error;
      }
    }
  }
  if (res.pids_limit) {
    std::string pids = dir_of("pids");
    if (!pids.empty() &&
        !write_file(pids + "/pids.max", *res.pids_limit > 0 ? std::to_string(*res.pids_limit) : "max", &error))
      return error;
  }
  return "";
}

std::vector<std::string> Cgroup::procs_files() const {
  std::vector<std::string> out;
  for (const auto& [c, d] : dirs_) out.push_back(d + "/cgroup.procs");
  return out;
}

std::vector<pid_t> Cgroup::pids() const {
  std::vector<pid_t> out;
  for (const auto& [c, d] : dirs_) {
    std::string text;
    if (!read_small_file(d + "/cgroup.procs", &text)) continue;
    std::stringstream ss(text);
    long p;
    while (ss >> p)
      if (std::find(out.begin(), out.end(), static_cast<pid_t>(p)) == out.end()) out.push_back(static_cast<pid_t>(p));
  }
  return out;
}

int Cgroup::signal_all(int sig) const {
  int n = 0;
  for (pid_t p : pids())
    if (p > 0 && ::kill(p, sig) == 0) ++n;
  return n;
}

std::string Cgroup::remove() const {
  // Processes left behind would keep the directory busy (EBUSY) and keep running unaccounted for.
  for (int i = 0; i < 100; ++i) {
    if (signal_all(SIGKILL) == 0 && pids().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string first_error;
  for (const auto& [c, d] : dirs_) {
    for (int i = 0; i < 50; ++i) {
      if (::rmdir(d.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY) {
        if (first_error.empty()) first_error = "rmdir " + d + ": " + std::strerror(errno);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // exiting tasks leave the cgroup shortly after
      if (i == 49 && first_error.empty()) first_error = "rmdir " + d + ": " + std::strerror(EBUSY);
    }
  }
  return first_error;
}

uint64_t Cgroup::oom_kills() const {
  std::string mem = dir_of("memory");
  if (mem.empty()) return 0;
  std::string text;
  if (!read_small_file(mem + (v2_ ? "/memory.events" : "/memory.oom_control"), &text)) return 0;
  std::stringstream ss(text);
  std::string key;
  uint64_t value;
  while (ss >> key >> value)
    if (key == "oom_kill") return value;
  return 0;
}

int Cgroup::open_oom_fd() const {
  std::string mem = dir_of("memory");
  if (mem.empty()) return -1;
  if (v2_) {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return -1;
    if (::inotify_add_watch(fd, (mem + "/memory.events").c_str(), IN_MODIFY) < 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) return -1;
  int ofd = ::open((mem + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC);
  std::string ignored;
  bool ok = ofd >= 0 && write_file(mem + "/cgroup.event_control",
                                   std::to_string(efd) + " " + std::to_string(ofd), &ignored);
  if (ofd >= 0) ::close(ofd);  // the kernel holds its own reference to the file once registered
  if (!ok) {
    ::close(efd);
    return -1;
  }
  return efd;
}

void Cgroup::drain_oom_fd(int fd) {
  char buf[4096];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace wasipool::shim
