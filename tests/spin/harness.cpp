// Test harness implementation (see harness.h).
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fcntl.h>
#include <cstring>
#include <fstream>

namespace spintest {

Conn::Conn(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
  timeval tv{30, 0};  // a hung server fails the test instead of hanging it
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

Conn::~Conn() {
  if (fd_ >= 0) ::close(fd_);
}

bool Conn::send(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

HttpResult Conn::read(bool head_request) {
  HttpResult r;
  char tmp[65536];
  auto fill = [&]() {
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  };
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) return r;
  std::string head = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return r;
  r.status = std::atoi(status_line.c_str() + 9);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value[0] == ' ') value.erase(0, 1);
    r.headers[name] = value;
  }
  if (head_request) {
    r.ok = true;
    return r;
  }
  if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
    size_t len = std::strtoull(it->second.c_str(), nullptr, 10);
    while (buf_.size() < len)
      if (!fill()) return r;
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
  } else {
    while (fill()) {
    }
    r.body = std::move(buf_);
    buf_.clear();
  }
  r.ok = true;
  return r;
}

bool Conn::closed_by_peer() {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) return false;
  char c;
  return ::recv(fd_, &c, 1, 0) == 0;
}

HttpResult request(int port, const std::string& method, const std::string& target, const std::string& body,
                   const std::vector<std::string>& extra_headers) {
  Conn c(port);
  if (!c.connected()) return {};
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  for (const auto& h : extra_headers) req += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "Connection: close\r\n\r\n" + body;
  if (!c.send(req)) return {};
  return c.read(method == "HEAD");
}

ServeProcess::ServeProcess(const std::string& manifest, const std::vector<std::string>& args) {
  // The server's stdout goes to a file (a pipe we stop reading would block or SIGPIPE it later).
  char tmpl[] = "/tmp/wasipool-serve-out-XXXXXX";
  int out = ::mkstemp(tmpl);
  if (out < 0) return;
  std::string out_path = tmpl;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out, 1);
    ::close(out);
    std::vector<std::string> argv_s = {WASIPOOL_BIN, "serve", "--listen", "127.0.0.1:0"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    argv_s.push_back(manifest);
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out);
  // The first stdout line is "Serving http://127.0.0.1:PORT".
  for (int i = 0; i < 6000 && port_ == 0; ++i) {
    std::ifstream f(out_path);
    std::string line;
    banner_.clear();
    while (std::getline(f, line)) {
      banner_ += line + "\n";
      if (line.rfind("Serving http://", 0) == 0) port_ = std::atoi(line.c_str() + line.rfind(':') + 1);
    }
    if (port_) break;
    int st;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {  // it exited: a load error
      pid_ = -1;
      break;
    }
    ::usleep(10000);
  }
  ::unlink(out_path.c_str());
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) stop();
}

int ServeProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

int spawn(const std::vector<std::string>& args) {
  int pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& s : copy) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

void kill_and_wait(int pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  int st;
  ::waitpid(pid, &st, 0);
}

std::string make_temp_dir() {
  char tmpl[] = "/tmp/wasipool-spin-test-XXXXXX";
  return ::mkdtemp(tmpl) ? std::string(tmpl) : std::string();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
}

}  // namespace spintest
