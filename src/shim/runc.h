// Linux containers (ELF or #! entrypoints: the pod's pause, busybox, ...) are delegated to Debian's runc
// on the same bundle, as runwasi delegates them to youki. Each call is a synchronous `runc` CLI run
// waited through the reaper, so the reaper thread never steals its exit status.
#pragma once

#include <string>
#include <vector>

namespace wasipool::shim {

class Runc {
 public:
  // `root` is runc's private state directory (--root) for this shim's namespace.
  Runc(std::string root, std::string log_path) : root_(std::move(root)), log_(std::move(log_path)) {}

  static const char* binary();  // /usr/sbin/runc (WASIPOOL_RUNC overrides, for tests)

  // runc create --bundle B --pid-file F id, with the container's stdio as runc's own (no terminal).
  std::string create(const std::string& id, const std::string& bundle, const std::string& pid_file, int in, int out,
                     int err) const;
  std::string start(const std::string& id) const;
  std::string kill(const std::string& id, int sig, bool all) const;
  std::string remove(const std::string& id) const;  // delete --force
  // runc exec --detach --pid-file F --process P id.
  std::string exec(const std::string& id, const std::string& process_file, const std::string& pid_file, int in,
                   int out, int err) const;

  const std::string& root() const { return root_; }

 private:
  std::string run(const std::string& what, std::vector<std::string> args, int in, int out, int err,
                  bool capture) const;
  std::string root_, log_;
};

// Reads a pid file runc wrote; 0 when missing or malformed.
int read_pid_file(const std::string& path);

}  // namespace wasipool::shim
