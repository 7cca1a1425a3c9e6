// wasi_case_runner (owner: run): runs ONE WASI test case through the real `wasipool run` binary and
// checks its exact stdout, its exit status, and whatever the case asks about stderr and the host
// filesystem. A case is data: directives in comment lines of the guest source (.c, .wat) or of a
// .case file, plus the expected stdout in <case>.stdout next to it. See tests/wasi/README.md.
//
//   wasi_case_runner --wasipool BIN --case FILE --bin DIR [--module WASM]
//
// Directives (one per line, after //, ;; or #):
//   @run: ARGS...          argv after `wasipool run` (default "{module}"); "double quotes" and \n \t escapes
//   @module: PATH          what {module} means (default: --module)
//   @exit: N               expected exit status (default 0)
//   @stdout: TEXT          expected stdout line (repeatable; or a <case>.stdout file; else stdout must be empty)
//   @stderr: TEXT          stderr must contain TEXT (repeatable)
//   @stderr-lines: N       stderr must have exactly N lines
//   @stdin: TEXT           appended to the guest's stdin (escapes allowed; no trailing newline added)
//   @stdin-delay-ms: N     hold stdin data back for N ms (the pipe stays open and empty until then)
//   @env: NAME=VALUE       set in the host environment of `wasipool run` (the guest must not see it
//                          unless granted); WASIPOOL_TEST_CANARY=leaked is always set
//   @setup: mkdir P | file P TEXT | symlink TARGET P | chmod OCTAL P | fifo P     (P relative to {tmp})
//   @check: file P TEXT | absent P | dir P | symlink P TARGET | size P N          (after the run)
//   @tcp: SEND => EXPECT   connect to 127.0.0.1:{port}, send SEND, half-close, read to EOF, compare
//   @tcp-delay-ms: N       start the TCP exchanges only N ms after `wasipool run` started
//   @timeout: SECONDS      kill `wasipool run` after this long and fail (default 60)
// Placeholders in @run/@module/@setup/@check: {module} {tmp} {tmp2} {port} {src} {bin}.
#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

struct Case {
  std::vector<std::string> run;  // raw tokens, before placeholder expansion
  std::string module;
  int exit_code = 0;
  std::optional<std::string> stdout_text;
  std::vector<std::string> stderr_contains;
  std::optional<int> stderr_lines;
  std::string stdin_text;
  int stdin_delay_ms = 0;
  std::vector<std::string> env;
  std::vector<std::vector<std::string>> setup, check;
  std::vector<std::pair<std::string, std::string>> tcp;
  int tcp_delay_ms = 0;
  double timeout = 60;
};

std::vector<std::string> failures;
void fail_check(const std::string& what) { failures.push_back(what); }

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '0': out += '\0'; break;
      case 's': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

// Splits on blanks; "quoted text" is one token; backslash escapes are decoded everywhere.
std::vector<std::string> tokenize(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    std::string raw;
    bool quoted = false;
    while (i < s.size() && (quoted || (s[i] != ' ' && s[i] != '\t'))) {
      if (s[i] == '"') {
        quoted = !quoted;
        ++i;
        continue;
      }
      if (s[i] == '\\' && i + 1 < s.size()) {
        raw += s[i];
        raw += s[i + 1];
        i += 2;
        continue;
      }
      raw += s[i++];
    }
    out.push_back(unescape(raw));
  }
  return out;
}

std::string read_file(const std::string& path, bool* ok = nullptr) {
  std::ifstream in(path, std::ios::binary);
  if (ok) *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool parse_case(const std::string& path, Case& c) {
  bool ok = false;
  std::string text = read_file(path, &ok);
  if (!ok) {
    std::fprintf(stderr, "cannot read case %s\n", path.c_str());
    return false;
  }
  std::istringstream lines(text);
  std::string line;
  std::vector<std::string> stdout_lines;
  bool have_stdout_lines = false;
  while (std::getline(lines, line)) {
    size_t p = line.find_first_not_of(" \t");
    if (p == std::string::npos) continue;
    std::string rest = line.substr(p);
    if (rest.rfind("//", 0) == 0 || rest.rfind(";;", 0) == 0) rest = rest.substr(2);
    else if (rest.rfind("#", 0) == 0) rest = rest.substr(1);
    else continue;
    size_t q = rest.find_first_not_of(" \t");
    if (q == std::string::npos || rest[q] != '@') continue;
    rest = rest.substr(q + 1);
    size_t colon = rest.find(':');
    if (colon == std::string::npos) continue;
    std::string key = rest.substr(0, colon);
    std::string value = rest.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    if (key == "run") c.run = tokenize(value);
    else if (key == "module") c.module = value;
    else if (key == "exit") c.exit_code = std::atoi(value.c_str());
    else if (key == "stdout") {
      have_stdout_lines = true;
      stdout_lines.push_back(unescape(value));
    } else if (key == "stderr") c.stderr_contains.push_back(unescape(value));
    else if (key == "stderr-lines") c.stderr_lines = std::atoi(value.c_str());
    else if (key == "stdin") c.stdin_text += unescape(value);
    else if (key == "stdin-delay-ms") c.stdin_delay_ms = std::atoi(value.c_str());
    else if (key == "env") c.env.push_back(value);
    else if (key == "setup") c.setup.push_back(tokenize(value));
    else if (key == "check") c.check.push_back(tokenize(value));
    else if (key == "tcp") {
      size_t arrow = value.find(" => ");
      if (arrow == std::string::npos) {
        std::fprintf(stderr, "bad @tcp (want SEND => EXPECT): %s\n", value.c_str());
        return false;
      }
      c.tcp.emplace_back(unescape(value.substr(0, arrow)), unescape(value.substr(arrow + 4)));
    } else if (key == "tcp-delay-ms") c.tcp_delay_ms = std::atoi(value.c_str());
    else if (key == "timeout") c.timeout = std::atof(value.c_str());
    else if (key == "cflags") {
      // consumed by CMake when the guest is compiled
    } else {
      std::fprintf(stderr, "unknown directive @%s in %s\n", key.c_str(), path.c_str());
      return false;
    }
  }
  if (have_stdout_lines) {
    std::string s;
    for (auto& l : stdout_lines) s += l + "\n";
    c.stdout_text = s;
  }
  if (c.run.empty()) c.run = {"{module}"};
  return true;
}

std::string expand(std::string s, const std::map<std::string, std::string>& vars) {
  for (auto& [k, v] : vars) {
    std::string key = "{" + k + "}";
    for (size_t p = s.find(key); p != std::string::npos; p = s.find(key, p + v.size())) s.replace(p, key.size(), v);
  }
  return s;
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }
void remove_tree(const std::string& dir) {
  // Restore write permission first so a test that made a directory read-only can be cleaned up.
  ::nftw(dir.c_str(), [](const char* p, const struct stat* st, int type, struct FTW*) -> int {
    if (type == FTW_D || type == FTW_DNR) ::chmod(p, 0700);
    (void)st;
    return 0;
  }, 16, FTW_PHYS);
  ::nftw(dir.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/wasipool-case-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) {
    std::perror("mkdtemp");
    std::exit(2);
  }
  return buf.data();
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::perror("free_port");
    std::exit(2);
  }
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool do_setup(const std::vector<std::string>& cmd, const std::string& tmp) {
  auto path = [&](const std::string& p) { return p.rfind("/", 0) == 0 ? p : tmp + "/" + p; };
  if (cmd.size() == 2 && cmd[0] == "mkdir") return ::mkdir(path(cmd[1]).c_str(), 0755) == 0;
  if (cmd.size() == 2 && cmd[0] == "fifo") return ::mkfifo(path(cmd[1]).c_str(), 0644) == 0;
  if ((cmd.size() == 3 || cmd.size() == 2) && cmd[0] == "file") {
    std::ofstream out(path(cmd[1]), std::ios::binary);
    if (cmd.size() == 3) out << cmd[2];
    return static_cast<bool>(out);
  }
  if (cmd.size() == 3 && cmd[0] == "symlink") return ::symlink(cmd[1].c_str(), path(cmd[2]).c_str()) == 0;
  if (cmd.size() == 3 && cmd[0] == "chmod")
    return ::chmod(path(cmd[2]).c_str(), static_cast<mode_t>(std::strtol(cmd[1].c_str(), nullptr, 8))) == 0;
  return false;
}

void do_check(const std::vector<std::string>& cmd, const std::string& tmp) {
  auto path = [&](const std::string& p) { return p.rfind("/", 0) == 0 ? p : tmp + "/" + p; };
  std::string joined;
  for (auto& t : cmd) joined += (joined.empty() ? "" : " ") + t;
  struct stat st {};
  if (cmd.size() == 3 && cmd[0] == "file") {
    bool ok = false;
    std::string got = read_file(path(cmd[1]), &ok);
    if (!ok) fail_check("@check " + joined + ": file missing");
    else if (got != cmd[2]) fail_check("@check " + joined + ": content is \"" + got + "\"");
  } else if (cmd.size() == 2 && cmd[0] == "absent") {
    if (::lstat(path(cmd[1]).c_str(), &st) == 0) fail_check("@check " + joined + ": it exists");
  } else if (cmd.size() == 2 && cmd[0] == "dir") {
    if (::lstat(path(cmd[1]).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) fail_check("@check " + joined);
  } else if (cmd.size() == 3 && cmd[0] == "symlink") {
    char buf[4096];
    ssize_t n = ::readlink(path(cmd[1]).c_str(), buf, sizeof buf);
    if (n < 0 || std::string(buf, static_cast<size_t>(n)) != cmd[2]) fail_check("@check " + joined);
  } else if (cmd.size() == 3 && cmd[0] == "size") {
    if (::lstat(path(cmd[1]).c_str(), &st) != 0 || st.st_size != std::atoll(cmd[2].c_str()))
      fail_check("@check " + joined + ": size is " + std::to_string(st.st_size));
  } else {
    fail_check("unknown @check " + joined);
  }
}

// The TCP client side of a @tcp exchange. Retries the connection while `wasipool run` starts up.
std::string tcp_exchange(int port, const std::string& send, double deadline_s) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      write_all(fd, send);
      ::shutdown(fd, SHUT_WR);
      std::string got;
      char buf[4096];
      timeval tv{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      ::close(fd);
      return got;
    }
    ::close(fd);
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > deadline_s)
      return "<connect failed: " + std::string(std::strerror(errno)) + ">";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string show(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '\n') out += "\\n\n";
    else if (ch == '\t') out += "\\t";
    else if (static_cast<unsigned char>(ch) < 32) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", static_cast<unsigned char>(ch));
      out += b;
    } else out += ch;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string wasipool, case_path, bin, module;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--wasipool") wasipool = argv[i + 1];
    else if (k == "--case") case_path = argv[i + 1];
    else if (k == "--bin") bin = argv[i + 1];
    else if (k == "--module") module = argv[i + 1];
  }
  if (wasipool.empty() || case_path.empty()) {
    std::fprintf(stderr, "usage: wasi_case_runner --wasipool BIN --case FILE --bin DIR [--module WASM]\n");
    return 2;
  }
  Case c;
  if (!parse_case(case_path, c)) return 2;
  std::string src = case_path.substr(0, case_path.rfind('/'));
  std::string stem = case_path.substr(0, case_path.rfind('.'));
  if (bool ok = false; (void)read_file(stem + ".stdout", &ok), ok) {
    if (c.stdout_text) {
      std::fprintf(stderr, "both @stdout lines and %s.stdout given\n", stem.c_str());
      return 2;
    }
    c.stdout_text = read_file(stem + ".stdout");
  }
  if (!c.stdout_text) c.stdout_text = "";

  std::string tmp = make_temp_dir(), tmp2 = make_temp_dir();
  std::map<std::string, std::string> vars = {
      {"tmp", tmp}, {"tmp2", tmp2}, {"src", src}, {"bin", bin}, {"port", std::to_string(free_port())}};
  vars["module"] = expand(c.module.empty() ? module : c.module, vars);
  int port = std::atoi(vars["port"].c_str());

  for (auto& s : c.setup) {
    std::vector<std::string> cmd;
    for (auto& t : s) cmd.push_back(expand(t, vars));
    if (!do_setup(cmd, tmp)) {
      std::fprintf(stderr, "@setup failed: %s\n", s.empty() ? "" : s[0].c_str());
      remove_tree(tmp);
      remove_tree(tmp2);
      return 2;
    }
  }

  std::vector<std::string> args = {wasipool, "run"};
  for (auto& t : c.run) args.push_back(expand(t, vars));
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("WASIPOOL_TEST_CANARY=leaked");
  for (auto& e : c.env) env_strings.push_back(e);

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) || ::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC)) {
    std::perror("pipe");
    return 2;
  }
  std::vector<char*> argv_c, envp_c;
  for (auto& a : args) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  for (auto& e : env_strings) envp_c.push_back(e.data());
  envp_c.push_back(nullptr);

  std::string cmdline;
  for (auto& a : args) cmdline += (cmdline.empty() ? "" : " ") + a;

  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execve(argv_c[0], argv_c.data(), envp_c.data());
    std::perror("execve");
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::signal(SIGPIPE, SIG_IGN);

  // TCP exchanges run on their own thread while this one drains stdout/stderr.
  std::vector<std::string> tcp_got(c.tcp.size());
  std::thread tcp_thread([&] {
    if (!c.tcp.empty() && c.tcp_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(c.tcp_delay_ms));
    for (size_t i = 0; i < c.tcp.size(); ++i) tcp_got[i] = tcp_exchange(port, c.tcp[i].first, c.timeout);
  });

  std::string out, err;
  int in_fd = in_pipe[1];
  bool stdin_sent = false;
  bool timed_out = false;
  int open_fds = 2;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  while (open_fds > 0) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!stdin_sent && elapsed * 1000 >= c.stdin_delay_ms) {
      write_all(in_fd, c.stdin_text);
      ::close(in_fd);
      stdin_sent = true;
    }
    if (elapsed > c.timeout) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    int wait_ms = stdin_sent ? 100 : 10;
    if (::poll(fds, 2, wait_ms) < 0 && errno != EINTR) break;
    for (auto& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n > 0) (p.fd == out_pipe[0] ? out : err).append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) {
        ::close(p.fd);
        p.fd = -1;
        --open_fds;
      }
    }
  }
  if (!stdin_sent) ::close(in_fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  tcp_thread.join();

  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (timed_out) fail_check("timed out after " + std::to_string(c.timeout) + "s");
  if (code != c.exit_code)
    fail_check("exit status " + std::to_string(code) + ", expected " + std::to_string(c.exit_code));
  if (out != *c.stdout_text)
    fail_check("stdout differs\n--- expected:\n" + show(*c.stdout_text) + "\n--- got:\n" + show(out));
  for (auto& s : c.stderr_contains)
    if (err.find(s) == std::string::npos) fail_check("stderr lacks \"" + s + "\"");
  if (c.stderr_lines) {
    int lines = 0;
    for (char ch : err) lines += ch == '\n';
    if (!err.empty() && err.back() != '\n') ++lines;
    if (lines != *c.stderr_lines)
      fail_check("stderr has " + std::to_string(lines) + " lines, expected " + std::to_string(*c.stderr_lines));
  }
  for (size_t i = 0; i < c.tcp.size(); ++i)
    if (tcp_got[i] != c.tcp[i].second)
      fail_check("tcp exchange " + std::to_string(i) + ": got \"" + show(tcp_got[i]) + "\", expected \"" +
                 show(c.tcp[i].second) + "\"");
  for (auto& ch : c.check) {
    std::vector<std::string> cmd;
    for (auto& t : ch) cmd.push_back(expand(t, vars));
    do_check(cmd, tmp);
  }
  remove_tree(tmp);
  remove_tree(tmp2);

  std::printf("$ %s\n", cmdline.c_str());
  if (failures.empty()) {
    std::printf("PASS (exit %d)\n", code);
    return 0;
  }
  for (auto& f : failures) std::printf("FAIL: %s\n", f.c_str());
  std::printf("--- stderr:\n%s\n", err.c_str());
  return 1;
}
