// See process.h.
#include "node/process.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace wasipool::node {
namespace {

long long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// In the child: join PID 1's namespaces. All namespace fds are opened before the first setns, because
// after joining the mount namespace /proc may be a different one.
bool join_host_namespaces(std::string* why) {
  const char* kinds[] = {"ipc", "uts", "net", "pid", "mnt"};
  int fds[5];
  for (int i = 0; i < 5; ++i) {
    std::string p = std::string("/proc/1/ns/") + kinds[i];
    fds[i] = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      *why = "open " + p + ": " + std::strerror(errno);
      return false;
    }
  }
  for (int i = 0; i < 5; ++i) {
    if (setns(fds[i], 0) != 0) {
      *why = std::string("setns ") + kinds[i] + " of PID 1: " + std::strerror(errno) +
             " (needs a privileged container with hostPID)";
      return false;
    }
    close(fds[i]);
  }
  return true;
}

}  // namespace

bool is_executable_file(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

std::optional<std::string> find_in_path(std::string_view name, std::string_view path_list) {
  if (name.find('/') != std::string_view::npos) {
    std::string p(name);
    return is_executable_file(p) ? std::optional<std::string>(p) : std::nullopt;
  }
  std::size_t pos = 0;
  while (true) {
    std::size_t colon = path_list.find(':', pos);
    std::string_view dir = path_list.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos);
    std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + std::string(name);
    if (is_executable_file(candidate)) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    pos = colon + 1;
  }
}

ProcessResult run_process(const std::vector<std::string>& argv, bool host_namespaces, int timeout_seconds) {
  ProcessResult r;
  if (argv.empty()) return r;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    r.output = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  // Exec errors travel back on a second pipe so "not found" is told apart from "ran and failed".
  int errfd[2];
  if (pipe2(errfd, O_CLOEXEC) != 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    r.output = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    r.output = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    std::string why;
    if (host_namespaces && !join_host_namespaces(&why)) {
      (void)!write(errfd[1], why.data(), why.size());
      _exit(127);
    }
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    execvp(args[0], args.data());
    why = "cannot run " + argv[0] + ": " + std::strerror(errno);
    (void)!write(errfd[1], why.data(), why.size());
    _exit(127);
  }
  close(pipefd[1]);
  close(errfd[1]);
  long long deadline = now_ms() + timeout_seconds * 1000LL;
  char buf[4096];
  bool killed = false;
  while (true) {
    long long left = deadline - now_ms();
    if (left <= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
      r.output += "\n(killed after " + std::to_string(timeout_seconds) + " s)";
    }
    pollfd p{pipefd[0], POLLIN, 0};
    int n = poll(&p, 1, killed ? 1000 : static_cast<int>(std::min<long long>(left, 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (killed) break;
      continue;
    }
    ssize_t got = read(pipefd[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    r.output.append(buf, static_cast<std::size_t>(got));
  }
  close(pipefd[0]);
  std::string exec_error;
  ssize_t got;
  while ((got = read(errfd[0], buf, sizeof buf)) > 0) exec_error.append(buf, static_cast<std::size_t>(got));
  close(errfd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!exec_error.empty()) {
    r.output = exec_error;
    return r;
  }
  r.started = true;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace wasipool::node
