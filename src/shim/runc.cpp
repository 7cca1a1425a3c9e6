// runc CLI delegation (see runc.h).
#include "shim/runc.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "shim/cgroups.h"
#include "shim/reaper.h"

namespace wasipool::shim {

namespace {

// The last "error" message runc logged (--log-format json), to name the cause in our error text
// instead of "exit status 1".
std::string last_log_error(const std::string& log_path, std::streamoff from) {
  std::ifstream in(log_path);
  if (from > 0) in.seekg(from);
  std::string line, last;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("level", "") == "error" && j.contains("msg") && j["msg"].is_string())
      last = j["msg"].get<std::string>();
  }
  return last;
}

}  // namespace

const char* Runc::binary() {
  const char* env = std::getenv("WASIPOOL_RUNC");
  return env && *env ? env : "/usr/sbin/runc";
}

std::string Runc::run(const std::string& what, std::vector<std::string> args, int in, int out, int err,
                      bool capture) const {
  std::vector<std::string> argv{binary(), "--root", root_};
  if (!log_.empty()) {
    argv.insert(argv.end(), {"--log", log_, "--log-format", "json"});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  ::mkdir(root_.c_str(), 0711);
  struct stat st;
  std::streamoff log_start = !log_.empty() && ::stat(log_.c_str(), &st) == 0 ? st.st_size : 0;
  std::string captured, spawn_error;
  // stderr is captured only for calls that leave no process behind: runc create/exec hand their stdio
  // to the container, so a capture pipe would never see EOF.
  int status = reaper::run_sync(argv, in, out, err, capture ? &captured : nullptr, &spawn_error);
  if (status == -1) return "runc " + what + ": " + spawn_error;
  uint32_t code = reaper::exit_status_of(status);
  if (code == 0) return "";
  std::string why = log_.empty() ? std::string() : last_log_error(log_, log_start);
  if (why.empty()) {
    why = captured;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  }
  if (why.empty()) why = "exit status " + std::to_string(code);
  return "runc " + what + ": " + why;
}

std::string Runc::create(const std::string& id, const std::string& bundle, const std::string& pid_file, int in,
                         int out, int err) const {
  return run("create", {"create", "--bundle", bundle, "--pid-file", pid_file, id}, in, out, err, false);
}

std::string Runc::start(const std::string& id) const { return run("start", {"start", id}, -1, -1, -1, true); }

std::string Runc::kill(const std::string& id, int sig, bool all) const {
  std::vector<std::string> args{"kill"};
  if (all) args.push_back("--all");
  args.push_back(id);
  args.push_back(std::to_string(sig));
  return run("kill", args, -1, -1, -1, true);
}

std::string Runc::remove(const std::string& id) const {
  return run("delete", {"delete", "--force", id}, -1, -1, -1, true);
}

std::string Runc::exec(const std::string& id, const std::string& process_file, const std::string& pid_file, int in,
                       int out, int err) const {
  return run("exec", {"exec", "--detach", "--pid-file", pid_file, "--process", process_file, id}, in, out, err, false);
}

int read_pid_file(const std::string& path) {
  std::string text;
  if (!read_small_file(path, &text)) return 0;
  int pid = std::atoi(text.c_str());
  return pid > 0 ? pid : 0;
}

}  // namespace wasipool::shim
