// Opening a process's stdio (see stdio.h).
#include "shim/stdio.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

#include "shim/reaper.h"
#include "shim/reaper_spawn.h"

extern char** environ;

namespace wasipool::shim {

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

void clear_nonblock(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

std::string fifo_path(const std::string& p) { return starts_with(p, "fifo://") ? p.substr(7) : p; }

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

}  // namespace

ProcessStdio::~ProcessStdio() { close_all(); }

std::string ProcessStdio::open_output(const std::string& path, bool is_stderr, int* fd) {
  const char* which = is_stderr ? "stderr" : "stdout";
  if (starts_with(path, "file://")) {
    std::string file = path.substr(7);
    if (file.empty() || file[0] != '/') return std::string(which) + " " + path + ": file:// needs an absolute path";
    *fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0) return std::string(which) + " " + file + ": " + std::strerror(errno);
    return "";
  }
  std::string p = fifo_path(path);
  // The client normally holds the read end already (containerd's cio opens it O_NONBLOCK before
  // Create): a non-blocking open succeeds then. If it does not yet, O_RDWR keeps a reader of our own so
  // the open never blocks the Create RPC forever; output waits in the pipe buffer for the client.
  *fd = ::open(p.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (*fd < 0 && errno == ENXIO) *fd = ::open(p.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (*fd < 0) return std::string(which) + " " + p + ": " + std::strerror(errno);
  struct stat st;
  if (::fstat(*fd, &st) == 0 && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISREG(st.st_mode)) {
    ::close(*fd);
    *fd = -1;
    return std::string(which) + " " + p + ": not a FIFO";
  }
  // The child must see a blocking pipe (O_NONBLOCK lives on the shared file description).
  clear_nonblock(*fd);
  return "";
}

std::string ProcessStdio::start_binary_logger(const std::string& uri, const std::string& ns, const std::string& id) {
  // binary:///abs/path?k=v&k2=v2 -> /abs/path k v k2 v2 (as containerd's runc shim builds the argv)
  std::string rest = uri.substr(9);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.empty() || rest[0] != '/') return "stdout " + uri + ": binary:// needs an absolute path";
  std::vector<std::string> argv{percent_decode(rest)};
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    pos = amp == std::string::npos ? query.size() : amp + 1;
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    argv.push_back(percent_decode(kv.substr(0, eq)));
    if (eq != std::string::npos && eq + 1 < kv.size()) argv.push_back(percent_decode(kv.substr(eq + 1)));
  }
  int out[2], err[2], ready[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]);
    return std::string("pipe: ") + std::strerror(errno);
  }
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]), ::close(err[0]), ::close(err[1]);
    return std::string("pipe: ") + std::strerror(errno);
  }
  SpawnRequest req;
  req.argv = argv;
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.push_back("CONTAINER_ID=" + id);
  env.push_back("CONTAINER_NAMESPACE=" + ns);
  req.env = env;
  req.extra_fds = {out[0], err[0], ready[1]};  // fds 3, 4, 5 (containerd's binary log driver contract)
  pid_t pid = -1;
  std::string e = spawn_process(req, &pid);
  ::close(out[0]);
  ::close(err[0]);
  ::close(ready[1]);
  if (!e.empty()) {
    ::close(out[1]), ::close(err[1]), ::close(ready[0]);
    return "stdout " + uri + ": " + e;
  }
  logger_pid_ = pid;
  reaper::watch(pid, [](int) {});  // nobody waits for the logger's status; it exits on EOF
  // Wait (bounded) for the logger's "ready": one byte or EOF on fd 5.
  struct pollfd pfd{ready[0], POLLIN, 0};
  ::poll(&pfd, 1, 10000);
  ::close(ready[0]);
  fds_[1] = out[1];
  fds_[2] = err[1];
  return "";
}

std::string ProcessStdio::open(const StdioSpec& spec, const std::string& ns, const std::string& id) {
  if (!spec.stdin_path.empty()) {
    std::string p = fifo_path(spec.stdin_path);
    // O_NONBLOCK: opening the read side must not wait for a writer. The keeper (our own writer) keeps
    // the child's first read from hitting EOF before the client has opened its writer.
    fds_[0] = ::open(p.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fds_[0] < 0) return "stdin " + p + ": " + std::strerror(errno);
    stdin_keeper_ = ::open(p.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    clear_nonblock(fds_[0]);
  }
  if (starts_with(spec.stdout_path, "binary://")) return start_binary_logger(spec.stdout_path, ns, id);
  if (!spec.stdout_path.empty()) {
    std::string e = open_output(spec.stdout_path, false, &fds_[1]);
    if (!e.empty()) return e;
  }
  if (spec.terminal || spec.stderr_path.empty()) {
    // terminal=true: one stream (containerd sends stderr=""); the child's stderr joins stdout.
    if (spec.terminal && fds_[1] >= 0) fds_[2] = ::fcntl(fds_[1], F_DUPFD_CLOEXEC, 0);
  } else if (spec.stderr_path == spec.stdout_path && fds_[1] >= 0) {
    fds_[2] = ::fcntl(fds_[1], F_DUPFD_CLOEXEC, 0);  // file:// gives the same path for both
  } else {
    std::string e = open_output(spec.stderr_path, true, &fds_[2]);
    if (!e.empty()) return e;
  }
  return "";
}

void ProcessStdio::close_child_copies() {
  for (int& fd : fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

void ProcessStdio::close_stdin() {
  if (stdin_keeper_ >= 0) ::close(stdin_keeper_);
  stdin_keeper_ = -1;
}

void ProcessStdio::close_all() {
  close_child_copies();
  close_stdin();
}

}  // namespace wasipool::shim
