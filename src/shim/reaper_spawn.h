// fork+exec with everything a container process needs between the two: join cgroups, enter a network
// namespace, arrange stdio and extra fds, drop every other fd, set env/cwd/user, and optionally wait at
// a gate until Start. The child only makes async-signal-safe calls (the shim is multi-threaded).
//
// Every pid spawned here is a child of the caller; reap it only through reaper.h (watch/wait_for).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace wasipool::shim {

struct SpawnRequest {
  std::vector<std::string> argv;                 // argv[0] is the path executed
  std::optional<std::vector<std::string>> env;   // nullopt = inherit the shim's environment
  int stdio[3] = {-1, -1, -1};                   // -1 = /dev/null
  std::vector<int> extra_fds;                    // become fds 3, 4, ... in the child
  std::string cwd;                               // "" = unchanged
  std::vector<std::string> cgroup_procs;         // cgroup.procs files the child writes itself into
  std::string netns_path;                        // setns(CLONE_NEWNET) into it when set
  bool set_user = false;
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  bool no_new_privs = false;
  bool new_session = true;  // setsid: a signal to the shim's process group never reaches workloads
  bool gated = false;       // wait for SpawnedProcess::release() before exec
};

// A spawned child. For a gated child, release() lets it exec (or abort() makes it exit 127 unrun).
class SpawnedProcess {
 public:
  SpawnedProcess() = default;
  ~SpawnedProcess();
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Lets a gated child exec; returns "" or why the exec failed (the child then exits 127).
  std::string release();
  // Closes the gate without releasing: the child exits without running anything.
  void abort();

 private:
  friend std::string spawn_gated(const SpawnRequest&, SpawnedProcess*);
  pid_t pid_ = -1;
  int gate_fd_ = -1;   // write end: one byte = go
  int error_fd_ = -1;  // read end of the child's CLOEXEC error pipe
};

// Ungated spawn: returns "" when the child exec'd, or the reason (the child is then already reaped).
std::string spawn_process(const SpawnRequest& req, pid_t* pid);

// Gated spawn: returns "" when the child finished its setup and waits at the gate (the pid is final:
// exec keeps it), or the reason the setup failed (the child is reaped).
std::string spawn_gated(const SpawnRequest& req, SpawnedProcess* out);

}  // namespace wasipool::shim
