// Running the host's tools (containerd, systemctl, kubectl) and finding binaries on a PATH.
// Called from the single CLI thread; each call forks one child and waits for it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wasipool::node {

struct ProcessResult {
  bool started = false;  // false: could not exec (not found, ...); `output` then says why
  int exit_code = -1;    // exit status, or 128+signal
  std::string output;    // stdout and stderr, merged
  bool ok() const { return started && exit_code == 0; }
};

// Runs argv[0] (looked up on PATH) with stdin /dev/null and captures its output; kills it after
// `timeout_seconds`. With `host_namespaces` the child first joins PID 1's mount, UTS, IPC, network and
// PID namespaces (a privileged pod with hostPID runs the node's own systemctl/containerd this way, as
// `nsenter -t 1 -m -u -i -n -p` would, without needing nsenter in the installer image).
ProcessResult run_process(const std::vector<std::string>& argv, bool host_namespaces = false,
                          int timeout_seconds = 60);

// exec.LookPath semantics: the first `dir/name` in the colon-separated `path_list` that is a regular file
// with an execute bit. An empty entry means the current directory, as in Go and the shell.
std::optional<std::string> find_in_path(std::string_view name, std::string_view path_list);

// True when `path` is a regular file (after symlinks) with any execute bit set.
bool is_executable_file(const std::string& path);

}  // namespace wasipool::node
