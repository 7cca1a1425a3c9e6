// fork+exec for container processes (see reaper_spawn.h).
#include "shim/reaper_spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shim/reaper.h"

extern char** environ;

namespace wasipool::shim {

namespace {

// What the child reports on its error pipe. Stage 0 = "setup done, waiting at the gate".
struct ChildReport {
  int stage;
  int err;
};

enum Stage : int {
  kReady = 0,
  kDevNull,
  kDup,
  kCgroup,
  kNetns,
  kUser,
  kCwd,
  kGate,
  kExec,
};

const char* stage_name(int stage) {
  switch (stage) {
    case kDevNull: return "open /dev/null";
    case kDup: return "arrange stdio";
    case kCgroup: return "join cgroup";
    case kNetns: return "enter network namespace";
    case kUser: return "set user";
    case kCwd: return "chdir";
    case kGate: return "wait for start";
    case kExec: return "exec";
    default: return "setup";
  }
}

[[noreturn]] void child_fail(int fd, int stage) {
  ChildReport r{stage, errno};
  (void)!::write(fd, &r, sizeof r);
  ::_exit(127);
}

bool write_all(int fd, const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    s += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Everything the child touches is prepared before fork: after fork in a multi-threaded process only
// async-signal-safe calls are allowed (no malloc: another thread may have held its lock).
struct Prepared {
  std::vector<const char*> argv;
  std::vector<const char*> envp;
  std::vector<const char*> cgroup_procs;
};

[[noreturn]] void child_main(const SpawnRequest& req, const Prepared& p, int err_fd, int gate_fd) {
  // Unblock and reset signals: the shim ignores SIGPIPE and its threads may block signals; a workload
  // must start with the defaults or it could not be stopped by SIGTERM.
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int s = 1; s < NSIG; ++s) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    ::sigaction(s, &sa, nullptr);
  }
  if (req.new_session) ::setsid();

  // Cgroup first, so everything the process allocates from here on is charged to the container.
  for (const char* procs : p.cgroup_procs) {
    int fd = ::open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || !write_all(fd, "0", 1)) child_fail(err_fd, kCgroup);
    ::close(fd);
  }
  if (!req.netns_path.empty()) {
    int fd = ::open(req.netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) child_fail(err_fd, kNetns);
    ::close(fd);
  }

  // Arrange fds: first lift every source above all targets (so a dup2 never clobbers a source that is
  // still needed), then place them. n_targets = 3 stdio + extras; err/gate follow.
  int n_extra = static_cast<int>(req.extra_fds.size());
  int high = 3 + n_extra + 16;
  int src[3 + 16];
  int nsrc = 3 + n_extra;
  if (n_extra > 16) child_fail(err_fd, kDup);
  int devnull = -1;
  for (int i = 0; i < nsrc; ++i) {
    int fd = i < 3 ? req.stdio[i] : req.extra_fds[static_cast<size_t>(i - 3)];
    if (fd < 0) {
      if (devnull < 0) {
        devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) child_fail(err_fd, kDevNull);
      }
      fd = devnull;
    }
    src[i] = ::fcntl(fd, F_DUPFD_CLOEXEC, high);
    if (src[i] < 0) child_fail(err_fd, kDup);
  }
  int err_hi = ::fcntl(err_fd, F_DUPFD_CLOEXEC, high);
  if (err_hi < 0) child_fail(err_fd, kDup);
  err_fd = err_hi;
  if (gate_fd >= 0) {
    gate_fd = ::fcntl(gate_fd, F_DUPFD_CLOEXEC, high);
    if (gate_fd < 0) child_fail(err_fd, kDup);
  }
  for (int i = 0; i < nsrc; ++i) {
    if (::dup2(src[i], i) < 0) child_fail(err_fd, kDup);  // dup2 clears CLOEXEC on the target
  }
  // Our own err/gate pipes go right after the targets (still CLOEXEC) ...
  if (::dup3(err_fd, nsrc, O_CLOEXEC) < 0) child_fail(err_fd, kDup);
  err_fd = nsrc;
  if (gate_fd >= 0) {
    if (::dup3(gate_fd, nsrc + 1, O_CLOEXEC) < 0) child_fail(err_fd, kDup);
    gate_fd = nsrc + 1;
  }
  // ... and every other fd the shim had open (sockets, other containers' FIFOs, the ttrpc listener) is
  // closed: a workload must not inherit another tenant's channels.
  ::syscall(SYS_close_range, static_cast<unsigned>(nsrc + 2), ~0u, 0);

  if (req.no_new_privs) ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (req.set_user) {
    // The spec's user: a container that asks for a non-root uid must not run its workload as root.
    if (::setgroups(req.additional_gids.size(), reinterpret_cast<const gid_t*>(req.additional_gids.data())) != 0)
      child_fail(err_fd, kUser);
    if (::setgid(req.gid) != 0 || ::setuid(req.uid) != 0) child_fail(err_fd, kUser);
  }
  if (!req.cwd.empty() && ::chdir(req.cwd.c_str()) != 0) child_fail(err_fd, kCwd);

  if (gate_fd >= 0) {
    ChildReport ready{kReady, 0};
    if (!write_all(err_fd, reinterpret_cast<const char*>(&ready), sizeof ready)) ::_exit(127);
    char go = 0;
    ssize_t n;
    do n = ::read(gate_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    // EOF without the byte: the container was deleted before Start; nothing may run.
    if (n != 1 || go != 'S') ::_exit(127);
    ::close(gate_fd);
  }
  ::execve(p.argv[0], const_cast<char* const*>(p.argv.data()), const_cast<char* const*>(p.envp.data()));
  child_fail(err_fd, kExec);
}

std::string describe(const ChildReport& r, const std::string& what) {
  return what + ": " + stage_name(r.stage) + ": " + std::strerror(r.err);
}

// Reads one report; returns false on EOF.
bool read_report(int fd, ChildReport* r) {
  size_t got = 0;
  char* p = reinterpret_cast<char*>(r);
  while (got < sizeof *r) {
    ssize_t n = ::read(fd, p + got, sizeof *r - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

std::string do_spawn(const SpawnRequest& req, pid_t* pid, int* gate_write, int* err_read) {
  if (req.argv.empty()) return "spawn: empty argv";
  Prepared p;
  for (const auto& a : req.argv) p.argv.push_back(a.c_str());
  p.argv.push_back(nullptr);
  if (req.env) {
    for (const auto& e : *req.env) p.envp.push_back(e.c_str());
  } else {
    for (char** e = environ; *e; ++e) p.envp.push_back(*e);
  }
  p.envp.push_back(nullptr);
  for (const auto& c : req.cgroup_procs) p.cgroup_procs.push_back(c.c_str());

  int errp[2];
  if (::pipe2(errp, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  int gatep[2] = {-1, -1};
  if (req.gated && ::pipe2(gatep, O_CLOEXEC) != 0) {
    ::close(errp[0]);
    ::close(errp[1]);
    return std::string("pipe: ") + std::strerror(errno);
  }
  pid_t child = ::fork();
  if (child < 0) {
    int e = errno;
    ::close(errp[0]);
    ::close(errp[1]);
    if (gatep[0] >= 0) ::close(gatep[0]), ::close(gatep[1]);
    return std::string("fork: ") + std::strerror(e);
  }
  if (child == 0) child_main(req, p, errp[1], gatep[0]);
  ::close(errp[1]);
  if (gatep[0] >= 0) ::close(gatep[0]);
  *pid = child;

  ChildReport r{};
  bool got = read_report(errp[0], &r);
  if (req.gated) {
    if (got && r.stage == kReady) {
      *gate_write = gatep[1];
      *err_read = errp[0];
      return "";
    }
    ::close(gatep[1]);
  }
  ::close(errp[0]);
  if (!got) {
    if (req.gated) {
      reaper::wait_for(child);
      return req.argv[0] + ": the child died during setup";
    }
    return "";  // exec succeeded (CLOEXEC closed the pipe)
  }
  reaper::wait_for(child);
  return describe(r, req.argv[0]);
}

}  // namespace

std::string spawn_process(const SpawnRequest& req, pid_t* pid) {
  SpawnRequest r = req;
  r.gated = false;
  int g = -1, e = -1;
  return do_spawn(r, pid, &g, &e);
}

std::string spawn_gated(const SpawnRequest& req, SpawnedProcess* out) {
  SpawnRequest r = req;
  r.gated = true;
  return do_spawn(r, &out->pid_, &out->gate_fd_, &out->error_fd_);
}

SpawnedProcess::~SpawnedProcess() { abort(); }

std::string SpawnedProcess::release() {
  if (gate_fd_ < 0) return "process already released";
  char go = 'S';
  ssize_t n;
  do n = ::write(gate_fd_, &go, 1);
  while (n < 0 && errno == EINTR);
  ::close(gate_fd_);
  gate_fd_ = -1;
  std::string err;
  if (n != 1) err = std::string("start gate: ") + std::strerror(errno);
  ChildReport r{};
  if (error_fd_ >= 0) {
    if (read_report(error_fd_, &r)) err = std::string("exec: ") + std::strerror(r.err);
    ::close(error_fd_);
    error_fd_ = -1;
  }
  return err;
}

void SpawnedProcess::abort() {
  if (gate_fd_ >= 0) ::close(gate_fd_);
  if (error_fd_ >= 0) ::close(error_fd_);
  gate_fd_ = error_fd_ = -1;
}

}  // namespace wasipool::shim
