// Helpers for the shim tests: run the real shim binary (fork/exec, captured stdout/stderr, a hang guard
// instead of timing assertions), temporary bundles, and a ttrpc client for the Task service.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "shim/ttrpc/ttrpc.h"

namespace shimtest {

struct RunResult {
  int exit_code = -1;  // -1: killed by the hang guard or a signal
  std::string out, err;
  bool hung = false;
};

// Runs `argv` (argv[0] = path to exec) in `cwd` with extra environment entries (NAME=VALUE), stdin
// /dev/null. Waits for the process AND for EOF on its stdout/stderr, as containerd's CombinedOutput()
// does: a daemon that kept our pipes open makes this hang until the guard (60 s) kills it -> hung=true.
RunResult run(const std::vector<std::string>& argv, const std::string& cwd = "",
              const std::vector<std::string>& env = {});

// mkdtemp under $TMPDIR or /tmp; removed (rm -rf) by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& data);
std::string read_file(const std::string& path);
std::string sha256_hex(const std::string& data);

// The shim binary under its wasm name, and the hello guest (BUILD/examples/hello.wasm).
std::string shim_binary();
std::string hello_wasm();

// A typed Task call: returns the status, fills *resp on success.
template <typename Req, typename Resp>
wasipool::ttrpc::Status call(wasipool::ttrpc::Client& c, const std::string& method, const Req& req, Resp* resp,
                             int64_t timeout_nano = 10'000'000'000) {
  std::string in, out;
  req.SerializeToString(&in);
  auto st = c.call("containerd.task.v2.Task", method, in, &out, timeout_nano);
  if (st.ok() && resp) resp->ParseFromString(out);
  return st;
}

// Daemons a test started: any still alive when the test program ends are SIGKILLed, so a failing test
// does not leave shims behind (a gtest Environment in shim_test_util.cpp).
void remember_daemon(int pid);

// Is `pid` gone (or a zombie nobody reaped yet)?
bool process_gone(int pid);
// Polls process_gone up to ~30 s (a hang guard, not a timing assertion).
bool wait_gone(int pid);

}  // namespace shimtest
