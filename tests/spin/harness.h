// Test harness for the Spin host: a tiny blocking HTTP/1.1 client over loopback, and ServeProcess,
// which runs `wasipool serve` on an ephemeral port and stops it with SIGTERM.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace spintest {

struct HttpResult {
  bool ok = false;  // a complete response was read
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// A loopback connection; send() raw bytes, read() one response (Content-Length or close-delimited).
class Conn {
 public:
  explicit Conn(int port);
  ~Conn();
  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  HttpResult read(bool head_request = false);
  // True when the peer closed the connection (read returns 0) within a few seconds.
  bool closed_by_peer();

 private:
  int fd_ = -1;
  std::string buf_;
};

HttpResult request(int port, const std::string& method, const std::string& target, const std::string& body = "",
                   const std::vector<std::string>& extra_headers = {});

class ServeProcess {
 public:
  // Writes nothing; `manifest` must exist. Extra CLI args go before the manifest.
  ServeProcess(const std::string& manifest, const std::vector<std::string>& args = {});
  ~ServeProcess();
  int port() const { return port_; }
  const std::string& output() const { return banner_; }
  // SIGTERM, then the exit status (or -1 if it did not exit normally).
  int stop();

 private:
  int pid_ = -1;
  int port_ = 0;
  std::string banner_;
};

// A loopback TCP port that was free a moment ago (for a helper server the test starts).
int free_port();
// fork+exec with stdout/stderr to /dev/null; returns the pid (or -1).
int spawn(const std::vector<std::string>& argv);
void kill_and_wait(int pid);

// A fresh temporary directory (removed by the caller or left in /tmp on failure).
std::string make_temp_dir();
void write_file(const std::string& path, const std::string& content);

}  // namespace spintest
