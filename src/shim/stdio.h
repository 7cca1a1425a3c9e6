// A process's stdio as Create/Exec describe it (containerd-shim-v2.md §5), opened in the shim and passed
// to the child directly as fds 0/1/2 (no copy threads): FIFO paths, fifo://, file:///abs, binary:///abs.
//
// Ownership: one ProcessStdio per process; it holds the shim's copies of the fds until the process
// exits (close_after_exit: readers see EOF) and the binary logger's pid. Not thread-safe; the
// Container's lock serializes access.
#pragma once

#include <sys/types.h>

#include <string>

#include "shim/container.h"

namespace wasipool::shim {

class ProcessStdio {
 public:
  ProcessStdio() = default;
  ~ProcessStdio();
  ProcessStdio(const ProcessStdio&) = delete;
  ProcessStdio& operator=(const ProcessStdio&) = delete;

  // Opens everything; `ns`/`id` go to a binary logger's environment. Returns "" or the error naming
  // the path.
  std::string open(const StdioSpec& spec, const std::string& ns, const std::string& id);

  // The child's fds 0/1/2 (-1 = /dev/null).
  int child_fd(int which) const { return fds_[which]; }

  // Drops the shim's copies once the child has them (after spawn), except the stdin keeper.
  void close_child_copies();
  // CloseIO{stdin}: drop the shim's writer on the stdin FIFO, so the child sees EOF once the client's
  // writer is gone too.
  void close_stdin();
  // After the process exited: close all remaining fds; a binary logger sees EOF and exits by itself.
  void close_all();

 private:
  std::string open_output(const std::string& path, bool is_stderr, int* fd);
  std::string start_binary_logger(const std::string& uri, const std::string& ns, const std::string& id);
  int fds_[3] = {-1, -1, -1};
  int stdin_keeper_ = -1;  // our write end of the stdin FIFO: no premature EOF before the client opens it
  pid_t logger_pid_ = -1;
};

}  // namespace wasipool::shim
