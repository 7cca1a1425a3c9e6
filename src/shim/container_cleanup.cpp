// The bundle's state record and the undo of a Create (see container_internal.h): shared by
// Container::destroy and the `delete` binary action (Container::cleanup_bundle), which runs in a fresh
// process after the daemon may be gone.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "shim/cgroups.h"
#include "shim/container_internal.h"
#include "shim/rootfs.h"
#include "shim/runc.h"

namespace wasipool::shim {

namespace {

constexpr const char* kStateFile = "/wasipool-state.json";
constexpr const char* kExitFile = "/wasipool-exit";
constexpr const char* kPidFile = "/init.pid";

bool write_atomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << content;
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and ')', so parse after the last ')'.
bool read_proc_stat(pid_t pid, char* state, uint64_t* start_time) {
  std::string text;
  if (!read_small_file("/proc/" + std::to_string(pid) + "/stat", &text)) return false;
  size_t rp = text.rfind(')');
  if (rp == std::string::npos) return false;
  std::istringstream ss(text.substr(rp + 2));
  std::string field;
  // fields from 3 (state) on; starttime is field 22
  for (int i = 3; i <= 22 && ss >> field; ++i) {
    if (i == 3) *state = field.empty() ? '?' : field[0];
    if (i == 22) {
      *start_time = std::strtoull(field.c_str(), nullptr, 10);
      return true;
    }
  }
  return false;
}

}  // namespace

uint64_t process_start_time(pid_t pid) {
  char state = 0;
  uint64_t t = 0;
  return pid > 0 && read_proc_stat(pid, &state, &t) ? t : 0;
}

bool process_alive(pid_t pid, uint64_t start_time) {
  char state = 0;
  uint64_t t = 0;
  if (pid <= 0 || !read_proc_stat(pid, &state, &t)) return false;
  if (state == 'Z' || state == 'X') return false;
  return start_time == 0 || t == start_time;
}

std::string save_state(const std::string& bundle, const StateRecord& st) {
  nlohmann::json j = {{"kind", st.kind},          {"pid", st.pid},       {"start_time", st.start_time},
                      {"rootfs", st.rootfs},      {"cgroup", st.cgroup}, {"own_cgroup", st.own_cgroup},
                      {"runc_root", st.runc_root}};
  if (!write_atomic(bundle + kStateFile, j.dump())) return bundle + kStateFile + ": cannot write";
  if (st.pid > 0) write_atomic(bundle + kPidFile, std::to_string(st.pid));
  return "";
}

bool load_state(const std::string& bundle, StateRecord* st) {
  std::string text;
  if (!read_small_file(bundle + kStateFile, &text)) return false;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return false;
  // A damaged record is treated field by field: cleanup must still do what it can.
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  st->kind = str("kind");
  st->rootfs = str("rootfs");
  st->cgroup = str("cgroup");
  st->runc_root = str("runc_root");
  st->pid = j.contains("pid") && j["pid"].is_number_integer() ? j["pid"].get<int>() : 0;
  st->start_time = j.contains("start_time") && j["start_time"].is_number_unsigned() ? j["start_time"].get<uint64_t>() : 0;
  st->own_cgroup = j.contains("own_cgroup") && j["own_cgroup"].is_boolean() && j["own_cgroup"].get<bool>();
  return true;
}

void save_exit(const std::string& bundle, const ExitInfo& e) {
  write_atomic(bundle + kExitFile, std::to_string(e.exit_status) + " " + std::to_string(e.exited_at_sec) + " " +
                                       std::to_string(e.exited_at_nsec) + " " + (e.oom ? "1" : "0"));
}

bool load_exit(const std::string& bundle, ExitInfo* e) {
  std::string text;
  if (!read_small_file(bundle + kExitFile, &text)) return false;
  std::istringstream ss(text);
  int oom = 0;
  if (!(ss >> e->exit_status >> e->exited_at_sec >> e->exited_at_nsec >> oom)) return false;
  e->oom = oom != 0;
  return true;
}

std::string runc_root_for(const std::string& ns, const std::string& bundle) {
  if (const char* env = std::getenv("WASIPOOL_RUNC_ROOT"); env && *env) return std::string(env) + "/" + ns;
  const std::string marker = "/io.containerd.runtime.v2.task/";
  if (size_t at = bundle.rfind(marker); at != std::string::npos && at > 0)
    return bundle.substr(0, at) + "/runc-wasipool/" + ns;
  return "/run/containerd/runc-wasipool/" + ns;
}

std::string cleanup_from_state(const std::string& id, const std::string& bundle, const StateRecord& st, bool* killed) {
  std::string first_error;
  auto note = [&](const std::string& e) {
    if (!e.empty() && first_error.empty()) first_error = e;
  };
  *killed = false;
  Cgroup cg;
  bool have_cg = !st.cgroup.empty() && Cgroup::open(st.cgroup, false, &cg).empty() && cg.exists();
  if (process_alive(st.pid, st.start_time)) {
    ::kill(st.pid, SIGKILL);
    *killed = true;
  }
  if (!st.runc_root.empty()) {
    // runc kills what is left of the container, removes its state and (usually) its cgroup.
    Runc runc(st.runc_root, "");
    std::string e = runc.remove(id);
    if (!e.empty() && e.find("does not exist") == std::string::npos && e.find("not exist") == std::string::npos)
      note(e);
  }
  if (have_cg) {
    if (cg.signal_all(SIGKILL) > 0) *killed = true;
    // runc removes its own cgroup; ours (wasm kinds) is removed here. A leftover runc cgroup too.
    if (cg.exists()) note(cg.remove());
  }
  // Give a killed init a moment to die, so the rootfs is no longer busy.
  for (int i = 0; i < 100 && process_alive(st.pid, st.start_time); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!st.rootfs.empty()) note(unmount_rootfs(st.rootfs));
  ::unlink((bundle + kStateFile).c_str());
  ::unlink((bundle + kPidFile).c_str());
  ::unlink((bundle + kExitFile).c_str());
  return first_error;
}

ttrpc::Status Container::cleanup_bundle(const std::string& ns, const std::string& id, const std::string& bundle,
                                        uint32_t* pid, ExitInfo* exit) {
  (void)ns;
  if (pid) *pid = 0;
  if (exit) *exit = ExitInfo{};
  StateRecord st;
  if (!load_state(bundle, &st)) return ttrpc::Status::Ok();  // never created, or already cleaned
  ExitInfo recorded;
  bool have_exit = load_exit(bundle, &recorded);
  bool killed = false;
  std::string err = cleanup_from_state(id, bundle, st, &killed);
  if (pid) *pid = static_cast<uint32_t>(st.pid > 0 ? st.pid : 0);
  if (exit) {
    if (have_exit) {
      *exit = recorded;
    } else if (killed) {
      exit->exit_status = 137;  // we had to SIGKILL it
    }
  }
  if (!err.empty()) return ttrpc::Status::Error(ttrpc::Code::kInternal, "cleanup of " + id + ": " + err);
  return ttrpc::Status::Ok();
}

}  // namespace wasipool::shim
