#include "shim/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <google/protobuf/stubs/logging.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "oci/sha256.h"
#include "shim/container.h"
#include "shim/daemon_log.h"
#include "shim/events.h"
#include "shim/task_service.h"
#include "shim/ttrpc/ttrpc.h"

namespace wasipool::shim {

namespace {

constexpr int kListenFd = 3;  // the Go shim library's convention for the inherited listener

std::string errno_text(int e) { return std::strerror(e); }

// The namespace / containerd address, from the flags, else from the env containerd 1.7+ also sets.
std::string resolved_namespace(const ShimFlags& f) {
  if (!f.namespace_.empty()) return f.namespace_;
  const char* e = std::getenv("NAMESPACE");
  return e ? e : "";
}
std::string resolved_address(const ShimFlags& f) {
  if (!f.address.empty()) return f.address;
  const char* e = std::getenv("GRPC_ADDRESS");
  return e ? e : "";
}

std::string strip_unix(const std::string& address) {
  return address.rfind("unix://", 0) == 0 ? address.substr(7) : address;
}

bool make_sockaddr(const std::string& path, sockaddr_un* sa, std::string* error) {
  std::memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (path.size() >= sizeof sa->sun_path) {
    *error = "socket path too long (" + std::to_string(path.size()) + " >= " +
             std::to_string(sizeof sa->sun_path) + "): " + path;
    return false;
  }
  std::memcpy(sa->sun_path, path.data(), path.size());
  return true;
}

// True when something accepts connections on `path` (a live shim we can share).
bool socket_alive(const std::string& path) {
  sockaddr_un sa;
  std::string err;
  if (!make_sockaddr(path, &sa, &err)) return false;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  close(fd);
  return ok;
}

// Binds and listens; -1 + *error on failure, errno preserved in *err_no (EADDRINUSE when another start
// won the race for the same group).
int listen_unix(const std::string& path, std::string* error, int* err_no) {
  sockaddr_un sa;
  *err_no = 0;
  if (!make_sockaddr(path, &sa, error)) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err_no = errno;
    *error = "socket: " + errno_text(errno);
    return -1;
  }
  // The socket carries the Task API (create containers, exec): only our own user may connect. Bind under
  // a 0177 umask so there is no window in which the file is group/world accessible.
  mode_t old = umask(0177);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  int e = errno;
  umask(old);
  if (rc != 0 || listen(fd, 128) != 0) {
    if (rc == 0) e = errno;
    *err_no = e;
    *error = "listen on " + path + ": " + errno_text(e);
    close(fd);
    return -1;
  }
  chmod(path.c_str(), 0600);
  return fd;
}

bool mkdir_p(const std::string& dir, mode_t mode) {
  std::string cur;
  std::stringstream ss(dir);
  std::string part;
  if (!dir.empty() && dir[0] == '/') cur = "";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    cur += "/" + part;
    if (mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return false;
  }
  return true;
}

// <bundle>/address, atomically (write + rename): containerd reads it after a restart to reconnect.
bool write_address_file(const std::string& bundle, const std::string& address, std::string* error) {
  std::string tmp = bundle + "/.address." + std::to_string(getpid());
  std::string dst = bundle + "/address";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    *error = "create " + tmp + ": " + errno_text(errno);
    return false;
  }
  bool ok = write(fd, address.data(), address.size()) == static_cast<ssize_t>(address.size());
  ok = (close(fd) == 0) && ok;
  if (!ok || rename(tmp.c_str(), dst.c_str()) != 0) {
    *error = "write " + dst + ": " + errno_text(errno);
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

void close_fds_from(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) return;
#endif
  for (int fd = first; fd < 1024; ++fd) close(fd);
}

// Forks the daemon: new session, listener on fd 3, stdin /dev/null, stdout/stderr on the bundle's log
// FIFO (so containerd's log carries ours), nothing else inherited. The start process keeps no reference
// to the child: containerd's CombinedOutput() returns as soon as `start` exits.
bool spawn_daemon(const char* argv0, const std::vector<std::string>& args, int listen_fd,
                  const std::string& bundle, std::string* error) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(argv0));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::string log_path = bundle + "/log";
  pid_t pid = fork();
  if (pid < 0) {
    *error = "fork: " + errno_text(errno);
    return false;
  }
  if (pid > 0) return true;
  // Child: only async-signal-safe calls until execv (we are single-threaded here anyway).
  setsid();
  if (listen_fd != kListenFd) {
    if (dup2(listen_fd, kListenFd) < 0) _exit(127);
  } else {
    fcntl(kListenFd, F_SETFD, 0);
  }
  int devnull = open("/dev/null", O_RDWR);
  if (devnull < 0) _exit(127);
  dup2(devnull, 0);
  // O_NONBLOCK: opening a FIFO without a reader would block forever (no containerd, e.g. in tests);
  // ENXIO then means "nobody listens" and the logs go to /dev/null.
  int logfd = open(log_path.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY);
  if (logfd >= 0) {
    int fl = fcntl(logfd, F_GETFL);
    if (fl >= 0) fcntl(logfd, F_SETFL, fl & ~O_NONBLOCK);
  } else {
    logfd = devnull;
  }
  dup2(logfd, 1);
  dup2(logfd, 2);
  close_fds_from(kListenFd + 1);
  if (chdir("/") != 0) _exit(127);  // do not pin the first container's bundle for the pod's lifetime
  execv("/proc/self/exe", argv.data());
  _exit(127);
}

}  // namespace

std::string shim_socket_dir() {
  const char* e = std::getenv("WASIPOOL_SHIM_SOCKET_DIR");
  if (e && *e) return e;
  return "/run/containerd/s";
}

std::string shim_socket_address(const std::string& containerd_address, const std::string& ns,
                                 const std::string& group) {
  // filepath.Join(address, ns, group) as runc's shim hashes it.
  std::string joined = containerd_address + "/" + ns + "/" + group;
  return "unix://" + shim_socket_dir() + "/" + oci::sha256_hex(joined);
}

bool grouping_id(const std::string& config_path, const std::string& id, std::string* group, std::string* error) {
  *group = id;
  std::ifstream in(config_path);
  if (!in) return true;  // no spec: group by id alone
  nlohmann::json spec = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object()) {
    *error = config_path + ": not a valid JSON object";
    return false;
  }
  auto ann = spec.find("annotations");
  if (ann == spec.end() || !ann->is_object()) return true;
  for (const char* key : {"io.containerd.runc.v2.group", "io.kubernetes.cri.sandbox-id"}) {
    auto it = ann->find(key);
    if (it != ann->end() && it->is_string() && !it->get<std::string>().empty()) {
      *group = it->get<std::string>();
      return true;
    }
  }
  return true;
}

int run_start(const ShimFlags& flags, const char* argv0) {
  // Everything that goes wrong is reported on stderr and with exit 1: containerd shows the combined
  // output in "failed to start shim: start failed: ...". On success nothing but the address is printed.
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "wasipool shim start: %s\n", msg.c_str());
    return 1;
  };
  std::string ns = resolved_namespace(flags);
  std::string addr = resolved_address(flags);
  if (ns.empty()) return fail("shim namespace cannot be empty (-namespace)");
  if (flags.id.empty()) return fail("shim id cannot be empty (-id)");
  std::string bundle = flags.bundle;
  if (bundle.empty()) {
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return fail(std::string("getcwd: ") + errno_text(errno));
    bundle = cwd;
  }
  std::string group, error;
  if (!grouping_id(bundle + "/config.json", flags.id, &group, &error)) return fail(error);
  std::string address = shim_socket_address(addr, ns, group);
  std::string path = strip_unix(address);
  std::string dir = path.substr(0, path.rfind('/'));
  if (!mkdir_p(dir, 0711)) return fail("create " + dir + ": " + errno_text(errno));

  int listen_fd = -1;
  for (int attempt = 0; attempt < 3 && listen_fd < 0; ++attempt) {
    if (socket_alive(path)) {
      // A shim already serves this group (another container of the same pod): share it.
      if (!write_address_file(bundle, address, &error)) return fail(error);
      std::fputs(address.c_str(), stdout);
      return 0;
    }
    unlink(path.c_str());  // stale socket of a dead shim
    int e = 0;
    listen_fd = listen_unix(path, &error, &e);
    if (listen_fd < 0 && e != EADDRINUSE) return fail(error);
  }
  if (listen_fd < 0) return fail(error);
  if (!write_address_file(bundle, address, &error)) {
    unlink(path.c_str());
    return fail(error);
  }
  std::vector<std::string> args = {"-namespace", ns, "-id", flags.id, "-address", addr};
  if (!flags.publish_binary.empty()) args.insert(args.end(), {"-publish-binary", flags.publish_binary});
  args.insert(args.end(), {"-socket", path});
  if (flags.debug) args.push_back("-debug");
  std::fflush(stdout);
  if (!spawn_daemon(argv0, args, listen_fd, bundle, &error)) {
    unlink(path.c_str());
    return fail(error);
  }
  close(listen_fd);
  std::fputs(address.c_str(), stdout);
  return 0;
}

int run_daemon(Flavour flavour, const ShimFlags& flags) {
  // containerd may go away (restart) while we write to the log FIFO or a client socket: a write error is
  // handled where it happens, it must not kill the shim and every container with it.
  signal(SIGPIPE, SIG_IGN);
  // libprotobuf logs parse complaints to stderr (our log FIFO): a peer must not be able to flood
  // containerd's log through us. Bad payloads are answered with an error status instead.
  google::protobuf::SetLogHandler(nullptr);
  set_log_debug(flags.debug);
  std::string ns = resolved_namespace(flags);
  std::string addr = resolved_address(flags);

  int listen_fd = -1;
  std::string socket_path = flags.socket;
  int accepting = 0;
  socklen_t len = sizeof accepting;
  struct stat st;
  if (fstat(kListenFd, &st) == 0 && S_ISSOCK(st.st_mode) &&
      getsockopt(kListenFd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting) {
    listen_fd = kListenFd;
    fcntl(listen_fd, F_SETFD, FD_CLOEXEC);  // the workloads we spawn must not inherit the Task API
    sockaddr_un sa;
    socklen_t sl = sizeof sa;
    if (getsockname(listen_fd, reinterpret_cast<sockaddr*>(&sa), &sl) == 0 && sa.sun_path[0])
      socket_path = sa.sun_path;
  } else if (!socket_path.empty()) {
    std::string error;
    int e = 0;
    unlink(socket_path.c_str());
    listen_fd = listen_unix(socket_path, &error, &e);
    if (listen_fd < 0) {
      log_warn("%s", error.c_str());
      return 1;
    }
  } else {
    log_warn("no listener: fd 3 is not a listening socket and -socket is not set");
    return 1;
  }

  std::string ttrpc_address;
  if (const char* e = std::getenv("TTRPC_ADDRESS"); e && *e) ttrpc_address = e;
  else if (!addr.empty()) ttrpc_address = addr + ".ttrpc";  // containerd's default next to the gRPC socket

  log_info("shim daemon pid %d serving %s (namespace %s, events to %s)", getpid(), socket_path.c_str(),
           ns.c_str(), ttrpc_address.empty() ? "nowhere" : ttrpc_address.c_str());
  start_process_monitor();
  auto* publisher = new Publisher(ns, ttrpc_address, flags.debug);  // lives until _exit
  ttrpc::Server server;
  std::atomic<bool> exiting{false};
  TaskService service(flavour, ns, publisher, [&] {
    if (exiting.exchange(true)) return;
    // Remove the socket first: a `start` for the same group arriving now must create a new shim rather
    // than connect to one that is about to exit.
    if (!socket_path.empty()) unlink(socket_path.c_str());
    server.shutdown();
  });
  service.register_methods(&server);
  int rc = server.serve(listen_fd);
  if (rc != 0) log_warn("ttrpc serve: %s", errno_text(rc).c_str());
  publisher->flush(3000);
  if (!socket_path.empty() && !exiting) unlink(socket_path.c_str());
  log_info("shim daemon exiting");
  // _exit: the reaper and publisher threads are still running; static destructors must not race them.
  std::fflush(nullptr);
  _exit(rc == 0 ? 0 : 1);
}

}  // namespace wasipool::shim
