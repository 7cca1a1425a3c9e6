// The shim's one reaper: the shim daemon is the child subreaper (runc's container init and every
// workload child are re-parented to it), and one thread calls waitpid(-1) and hands each exit to whoever
// watches that pid. Everything in the shim that forks must go through here (watch() or run_sync()),
// otherwise the reaper thread would steal the exit status from a direct waitpid(pid).
//
// Threading: all functions are thread-safe. watch() callbacks run on one dispatch thread (in exit order)
// and may take locks; the waitpid thread itself never runs them, so a synchronous wait_for/run_sync
// completes even while a watch() callback is blocked.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace wasipool::shim::reaper {

// Idempotent: PR_SET_CHILD_SUBREAPER + the reaper thread.
void start();
bool running();

// Calls `on_exit(wait_status)` once when `pid` is reaped. If it was already reaped before this call
// (a fast exit between fork and watch), the callback runs immediately on the caller's thread.
void watch(pid_t pid, std::function<void(int wait_status)> on_exit);

// Blocks until `pid` (a child of ours) exits and returns its wait status; works with and without the
// reaper thread (plain waitpid when it is not running: the `delete` binary action).
int wait_for(pid_t pid);

// Runs argv[0] (absolute path) with the given stdio (-1 = /dev/null) and no other fds, waits for it and
// returns the wait status (-1 when it could not be spawned; *error says why). When capture is not null,
// the child's stderr (if stderr_fd == -1) is collected into it, up to 64 KiB.
int run_sync(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd, int stderr_fd,
             std::string* capture, std::string* error);

// Exit status as containerd reports it: the code, or 128+signal.
uint32_t exit_status_of(int wait_status);

}  // namespace wasipool::shim::reaper
