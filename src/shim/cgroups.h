// A container's cgroup: linux.cgroupsPath under the memory, cpu, cpuacct and pids hierarchies (cgroup v1,
// including the hybrid layout) or the unified hierarchy (cgroup v2, detected by statfs magic).
//
// Ownership: a Container owns its Cgroup. Threading: const methods only read cgroupfs files and may run
// concurrently; apply/remove are called by one thread at a time (the Container serializes them).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "shim/oci_spec.h"

namespace wasipool::shim {

class Cgroup {
 public:
  // Resolves `spec_path` (linux.cgroupsPath: "/a/b" from the controller roots, a relative path, or the
  // systemd form "slice:prefix:name") and, when `create`, makes the directories. Returns "" or the error.
  static std::string open(const std::string& spec_path, bool create, Cgroup* out);

  bool valid() const { return !dirs_.empty(); }
  bool is_v2() const { return v2_; }
  const std::string& path() const { return rel_; }  // relative to the controller roots, starts with '/'
  bool exists() const;

  // Writes memory / cpu / pids limits. Returns "" or the error naming the file.
  std::string apply(const OciResources& res) const;
  // The cgroup.procs files a new process writes "0" into to join every controller.
  std::vector<std::string> procs_files() const;
  std::vector<pid_t> pids() const;
  // Signals every process in the cgroup; returns how many were signalled.
  int signal_all(int sig) const;
  // SIGKILLs whatever is left, waits (bounded) until the cgroup is empty, removes the directories.
  std::string remove() const;
  // The memory controller's count of OOM kills (v1 memory.oom_control oom_kill, v2 memory.events).
  uint64_t oom_kills() const;
  // A pollable fd that becomes readable when the memory controller reports OOM activity (v1: an eventfd
  // registered on memory.oom_control through cgroup.event_control; v2: inotify on memory.events), or
  // -1. Read it with drain_oom_fd() and then look at oom_kills().
  int open_oom_fd() const;
  static void drain_oom_fd(int fd);
  // Serialized io.containerd.cgroups.v1.Metrics / v2.Metrics.
  std::string stats(std::string* type_url, std::string* value) const;

 private:
  std::string dir_of(const char* controller) const;  // "" when the controller is not mounted
  bool v2_ = false;
  std::string rel_;
  std::vector<std::pair<std::string, std::string>> dirs_;  // controller -> directory (v2: "" -> dir)
};

// Reads a whole small file (cgroupfs, /proc); false when it cannot be opened.
bool read_small_file(const std::string& path, std::string* out);

}  // namespace wasipool::shim
