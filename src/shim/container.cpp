// Container: the process side of one task (see container.h). Create mounts, classifies, confines and
// spawns the init held at a gate (wasm kinds) or `runc create`s it; the reaper thread reports exits.
#include "shim/container.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "shim/cgroups.h"
#include "shim/container_internal.h"
#include "shim/reaper.h"
#include "shim/reaper_spawn.h"
#include "shim/rootfs.h"
#include "shim/runc.h"
#include "shim/stdio.h"

namespace wasipool::shim {

namespace {

using ttrpc::Code;
using ttrpc::Status;

Status invalid(const std::string& m) { return Status::Error(Code::kInvalidArgument, m); }
Status internal(const std::string& m) { return Status::Error(Code::kInternal, m); }

struct Process {
  std::string exec_id;
  pid_t pid = 0;
  uint64_t start_time = 0;
  ProcessStatus status = ProcessStatus::kCreated;
  ExitInfo exit;
  StdioSpec spec;
  std::unique_ptr<ProcessStdio> stdio;
  std::unique_ptr<SpawnedProcess> gate;  // wasm init until Start
  std::string process_file;              // runc exec: the OCI Process JSON
  bool exit_published = false;           // listeners ran: Wait returns only after /tasks/oom, /tasks/exit
  bool starting = false;                 // a Start is in progress (the lock is dropped around runc)
};

ExitInfo now_exit(uint32_t status) {
  ExitInfo e;
  e.exit_status = status;
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  e.exited_at_sec = ts.tv_sec;
  e.exited_at_nsec = static_cast<int32_t>(ts.tv_nsec);
  return e;
}

// All mutable state lives here, shared with the reaper callbacks (which may outlive the Container
// object by a little: they hold a shared_ptr, never a raw this).
struct Core {
  std::mutex mu;
  std::condition_variable cv;
  std::string ns, id, bundle;
  WorkloadKind kind = WorkloadKind::kWasm;
  OciSpec spec;
  Cgroup cgroup;
  StateRecord state;
  std::unique_ptr<Runc> runc;
  std::map<std::string, Process> procs;
  uint64_t oom_base = 0;       // oom_kill count already announced through on_oom
  uint64_t exit_oom_base = 0;  // oom_kill count at the previous exit: a SIGKILL exit after a rise is oom
  int oom_fd = -1;             // registered with the OOM monitor while the container lives
  bool destroyed = false;
  Container::ExitListener exit_listener;
  std::function<void()> oom_listener;
  std::vector<std::tuple<std::string, uint32_t, ExitInfo>> pending_exits;  // before on_exit registration
  int pending_ooms = 0;
};

void on_reaped(const std::shared_ptr<Core>& core, const std::string& exec_id, int wait_status) {
  Container::ExitListener exit_cb;
  std::function<void()> oom_cb;
  uint32_t pid = 0;
  ExitInfo exit;
  {
    std::lock_guard<std::mutex> lock(core->mu);
    auto it = core->procs.find(exec_id);
    if (it == core->procs.end() || it->second.status == ProcessStatus::kStopped) return;
    Process& p = it->second;
    exit = now_exit(reaper::exit_status_of(wait_status));
    // The memory cgroup's OOM-kill counter moved since the previous exit and this was a SIGKILL: the OOM
    // killer ended it (or a process of this container, as containerd's OOMKilled means).
    if (core->cgroup.valid()) {
      uint64_t ooms = core->cgroup.oom_kills();
      if (ooms > core->exit_oom_base && WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL) exit.oom = true;
      core->exit_oom_base = ooms;
      if (ooms > core->oom_base) {  // the monitor has not announced it yet
        core->oom_base = ooms;
        if (core->oom_listener) oom_cb = core->oom_listener;
        else ++core->pending_ooms;
      }
    }
    p.exit = exit;
    p.status = ProcessStatus::kStopped;
    p.gate.reset();
    // The child's exit closed its copies; ours go now, so FIFO readers see EOF.
    if (p.stdio) p.stdio->close_all();
    pid = static_cast<uint32_t>(p.pid);
    if (exec_id.empty()) save_exit(core->bundle, exit);
    if (core->exit_listener) exit_cb = core->exit_listener;
    else core->pending_exits.emplace_back(exec_id, pid, exit);
    core->cv.notify_all();
  }
  if (oom_cb) oom_cb();
  if (exit_cb) exit_cb(exec_id, pid, exit);
  std::lock_guard<std::mutex> lock(core->mu);
  auto it = core->procs.find(exec_id);
  if (it != core->procs.end()) it->second.exit_published = true;
  core->cv.notify_all();
}

// One thread for every container's OOM notification fd: announces an OOM kill while the container runs
// (a killed child of a runc container, or before the reaper sees the killed init).
class OomMonitor {
 public:
  static OomMonitor& get() {
    static OomMonitor* m = new OomMonitor();  // leaked: its thread outlives static destruction
    return *m;
  }
  void add(int fd, std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (epfd_ < 0) return;
    fns_[fd] = std::move(fn);
    struct epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  }
  void remove(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    if (epfd_ >= 0) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    fns_.erase(fd);
    ::close(fd);
  }

 private:
  OomMonitor() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ >= 0) std::thread([this] { loop(); }).detach();
  }
  void loop() {
    for (;;) {
      struct epoll_event evs[16];
      int n = ::epoll_wait(epfd_, evs, 16, -1);
      for (int i = 0; i < n; ++i) {
        std::function<void()> fn;
        {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = fns_.find(evs[i].data.fd);
          if (it == fns_.end()) continue;
          Cgroup::drain_oom_fd(evs[i].data.fd);
          fn = it->second;
        }
        fn();
      }
    }
  }
  std::mutex mu_;
  int epfd_ = -1;
  std::map<int, std::function<void()>> fns_;
};

void on_oom_event(const std::shared_ptr<Core>& core) {
  // The v1 notification fires when the cgroup enters OOM, before the kernel has picked and killed a victim
  // (oom_kill is counted at the kill). On an idle machine this thread reads the counter first, so a kill is
  // awaited for a short while before the event is taken for OOM pressure without a kill.
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::function<void()> cb;
    {
      std::lock_guard<std::mutex> lock(core->mu);
      uint64_t ooms = core->cgroup.oom_kills();
      if (ooms > core->oom_base) {
        core->oom_base = ooms;
        if (core->oom_listener) cb = core->oom_listener;
        else ++core->pending_ooms;
      } else if (ooms < core->oom_base || !core->cgroup.valid()) {
        return;
      }
    }
    if (cb) {
      cb();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void watch_oom(const std::shared_ptr<Core>& core) {
  if (!core->cgroup.valid()) return;
  int fd = core->cgroup.open_oom_fd();
  if (fd < 0) return;
  core->oom_fd = fd;
  std::weak_ptr<Core> weak = core;
  OomMonitor::get().add(fd, [weak] {
    if (auto c = weak.lock()) on_oom_event(c);
  });
}

void unwatch_oom(Core* core) {
  if (core->oom_fd >= 0) OomMonitor::get().remove(core->oom_fd);
  core->oom_fd = -1;
}

void watch_process(const std::shared_ptr<Core>& core, const std::string& exec_id, pid_t pid) {
  std::weak_ptr<Core> weak = core;
  reaper::watch(pid, [weak, exec_id](int status) {
    if (auto c = weak.lock()) on_reaped(c, exec_id, status);
  });
}

class ContainerImpl final : public Container {
 public:
  explicit ContainerImpl(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  ~ContainerImpl() override {
    // The Task service drops a Container after destroy(); one dropped without it (a failed Create
    // path, shim shutdown) must not leave a gated child waiting forever.
    std::lock_guard<std::mutex> lock(core_->mu);
    for (auto& [id, p] : core_->procs) p.gate.reset();
    unwatch_oom(core_.get());
  }

  void on_exit(ExitListener listener) override {
    std::vector<std::tuple<std::string, uint32_t, ExitInfo>> pending;
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      core_->exit_listener = listener;
      pending.swap(core_->pending_exits);
    }
    for (auto& [exec_id, pid, exit] : pending) listener(exec_id, pid, exit);
  }

  void on_oom(std::function<void()> listener) override {
    int pending = 0;
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      core_->oom_listener = listener;
      pending = core_->pending_ooms;
      core_->pending_ooms = 0;
    }
    for (int i = 0; i < pending; ++i) listener();
  }

  uint32_t pid() const override {
    std::lock_guard<std::mutex> lock(core_->mu);
    auto it = core_->procs.find("");
    return it == core_->procs.end() ? 0 : static_cast<uint32_t>(it->second.pid);
  }

  Status exec(const std::string& exec_id, const StdioSpec& stdio, const std::string& process_json) override {
    if (exec_id.empty()) return invalid("exec: exec_id is empty");
    if (exec_id.find('/') != std::string::npos || exec_id.find("..") != std::string::npos)
      return invalid("exec id \"" + exec_id + "\" must not contain / or ..");
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      if (Status st = exec_precondition(exec_id); !st.ok()) return st;
    }
    // Opening stdio may spawn a binary logger (and reap it on failure): not under the lock.
    Process p;
    p.exec_id = exec_id;
    p.spec = stdio;
    p.process_file = core_->bundle + "/exec-" + exec_id + ".json";
    p.stdio = std::make_unique<ProcessStdio>();
    std::string e = p.stdio->open(stdio, core_->ns, core_->id);
    if (!e.empty()) return invalid("exec " + exec_id + ": " + e);
    std::lock_guard<std::mutex> lock(core_->mu);
    if (Status st = exec_precondition(exec_id); !st.ok()) return st;  // a concurrent Exec of the same id
    {
      std::ofstream out(p.process_file, std::ios::trunc);
      out << process_json;
      if (!out) return internal(p.process_file + ": cannot write");
    }
    core_->procs.emplace(exec_id, std::move(p));
    return Status::Ok();
  }

  Status start(const std::string& exec_id, uint32_t* pid) override {
    std::unique_lock<std::mutex> lock(core_->mu);
    auto it = core_->procs.find(exec_id);
    if (it == core_->procs.end()) return not_found(exec_id);
    Process& p = it->second;  // map nodes are stable; delete_exec refuses while `starting`
    if (p.status != ProcessStatus::kCreated || p.starting)
      return Status::Error(Code::kFailedPrecondition, "process " + label(exec_id) + " was already started");
    p.starting = true;
    std::string e;
    if (exec_id.empty() && core_->kind != WorkloadKind::kRunc) {
      e = p.gate ? p.gate->release() : "the process is gone";
      p.gate.reset();
      if (!e.empty()) e = "start " + core_->id + ": " + e;
    } else if (exec_id.empty()) {
      // runc's own exit is reaped by the reaper thread, which also takes this lock when the container
      // exits (possibly before `runc start` returns): never hold it across a runc call.
      lock.unlock();
      e = core_->runc->start(core_->id);
      lock.lock();
    } else {
      // runc exec --detach: runc starts the process and exits; it is re-parented to us (subreaper).
      std::string pid_file = core_->bundle + "/exec-" + exec_id + ".pid";
      int in = p.stdio->child_fd(0), out = p.stdio->child_fd(1), err = p.stdio->child_fd(2);
      lock.unlock();
      e = core_->runc->exec(core_->id, p.process_file, pid_file, in, out, err);
      lock.lock();
      p.stdio->close_child_copies();
      if (e.empty()) {
        p.pid = read_pid_file(pid_file);
        if (p.pid <= 0) e = "runc exec " + exec_id + ": no pid in " + pid_file;
      }
      ::unlink(pid_file.c_str());
    }
    p.starting = false;
    if (!e.empty()) return internal(e);
    if (p.status == ProcessStatus::kCreated) p.status = ProcessStatus::kRunning;
    *pid = static_cast<uint32_t>(p.pid);
    if (!exec_id.empty()) {
      // An exit that already happened is delivered inside watch() on this thread: unlock first.
      pid_t watched = p.pid;
      lock.unlock();
      watch_process(core_, exec_id, watched);
    }
    return Status::Ok();
  }

  Status kill(const std::string& exec_id, uint32_t signal, bool all) override {
    std::unique_lock<std::mutex> lock(core_->mu);
    auto it = core_->procs.find(exec_id);
    if (it == core_->procs.end()) return not_found(exec_id);
    Process& p = it->second;
    if (p.status == ProcessStatus::kStopped) return Status::Error(Code::kNotFound, "process already finished");
    if (p.pid <= 0) return Status::Error(Code::kNotFound, "process " + label(exec_id) + " has not started");
    int sig = static_cast<int>(signal);
    if (sig <= 0 || sig >= NSIG) return invalid("kill: invalid signal " + std::to_string(signal));
    // Direct signals, also for runc's init (what `runc kill` itself does: kill(2) on the init pid, and on
    // every pid of the cgroup for --all): the answer must go out in microseconds. A fork+exec of `runc kill`
    // kept a Kill open while the exit it caused travelled TaskExit -> Delete -> Shutdown, and containerd
    // then failed that Kill with "ttrpc: closed". Status is not Stopped under this lock, so the pid is not
    // reaped or was reaped microseconds ago (its exit dispatch pending): far too soon for pid reuse.
    if (::kill(p.pid, sig) != 0 && errno == ESRCH) return Status::Error(Code::kNotFound, "process already finished");
    if (all && core_->cgroup.valid()) core_->cgroup.signal_all(sig);
    return Status::Ok();
  }

  Status wait(const std::string& exec_id, ExitInfo* exit) override {
    std::unique_lock<std::mutex> lock(core_->mu);
    auto it = core_->procs.find(exec_id);
    if (it == core_->procs.end()) return not_found(exec_id);
    core_->cv.wait(lock, [&] {
      auto i = core_->procs.find(exec_id);
      return core_->destroyed || i == core_->procs.end() ||
             (i->second.status == ProcessStatus::kStopped && i->second.exit_published);
    });
    auto i = core_->procs.find(exec_id);
    if (i == core_->procs.end()) return not_found(exec_id);
    if (i->second.status != ProcessStatus::kStopped) return Status::Error(Code::kNotFound, "container deleted");
    *exit = i->second.exit;
    return Status::Ok();
  }

  Status state(const std::string& exec_id, ProcessState* out) override {
    std::lock_guard<std::mutex> lock(core_->mu);
    auto it = core_->procs.find(exec_id);
    if (it == core_->procs.end()) return not_found(exec_id);
    out->pid = static_cast<uint32_t>(it->second.pid);
    out->status = it->second.status;
    out->exit = it->second.exit;
    out->stdio = it->second.spec;
    return Status::Ok();
  }

  Status delete_exec(const std::string& exec_id, ExitInfo* exit) override {
    if (exec_id.empty()) return invalid("delete_exec: use destroy() for the init process");
    std::lock_guard<std::mutex> lock(core_->mu);
    auto it = core_->procs.find(exec_id);
    if (it == core_->procs.end()) return not_found(exec_id);
    if (it->second.status == ProcessStatus::kRunning || it->second.starting)
      return Status::Error(Code::kFailedPrecondition, "exec " + exec_id + " is still running");
    *exit = it->second.exit;
    if (!it->second.process_file.empty()) ::unlink(it->second.process_file.c_str());
    core_->procs.erase(it);
    core_->cv.notify_all();
    return Status::Ok();
  }

  Status destroy(ExitInfo* exit) override {
    std::unique_lock<std::mutex> lock(core_->mu);
    if (core_->destroyed) {
      auto it = core_->procs.find("");
      if (exit && it != core_->procs.end()) *exit = it->second.exit;
      return Status::Ok();
    }
    auto it = core_->procs.find("");
    if (it != core_->procs.end()) {
      Process& p = it->second;
      if (p.status == ProcessStatus::kRunning)
        return Status::Error(Code::kFailedPrecondition, "task " + core_->id + " must be stopped before deletion");
      if (p.status == ProcessStatus::kCreated) {
        // Deleted before Start (a failed pod setup): the held init must not run; kill and wait for it.
        p.gate.reset();
        if (p.pid > 0) ::kill(p.pid, SIGKILL);
        if (core_->kind == WorkloadKind::kRunc) {
          lock.unlock();
          core_->runc->kill(core_->id, SIGKILL, false);
          lock.lock();
        }
        core_->cv.wait_for(lock, std::chrono::seconds(5), [&] {
          auto i = core_->procs.find("");
          return i == core_->procs.end() || i->second.status == ProcessStatus::kStopped;
        });
      }
    }
    StateRecord st = core_->state;
    unwatch_oom(core_.get());
    lock.unlock();
    bool killed = false;
    std::string e = cleanup_from_state(core_->id, core_->bundle, st, &killed);
    lock.lock();
    core_->destroyed = true;
    it = core_->procs.find("");
    if (exit && it != core_->procs.end()) *exit = it->second.exit;
    for (auto& [id, p] : core_->procs)
      if (p.stdio) p.stdio->close_all();
    core_->cv.notify_all();
    if (!e.empty()) return internal("delete " + core_->id + ": " + e);
    return Status::Ok();
  }

  Status pids(std::vector<uint32_t>* out) override {
    std::lock_guard<std::mutex> lock(core_->mu);
    out->clear();
    if (core_->cgroup.valid())
      for (pid_t p : core_->cgroup.pids()) out->push_back(static_cast<uint32_t>(p));
    for (auto& [id, p] : core_->procs)
      if (p.pid > 0 && p.status != ProcessStatus::kStopped &&
          std::find(out->begin(), out->end(), static_cast<uint32_t>(p.pid)) == out->end())
        out->push_back(static_cast<uint32_t>(p.pid));
    return Status::Ok();
  }

  Status stats(std::string* type_url, std::string* value) override {
    std::lock_guard<std::mutex> lock(core_->mu);
    if (!core_->cgroup.valid() || !core_->cgroup.exists())
      return Status::Error(Code::kNotFound, "container " + core_->id + " has no cgroup");
    std::string e = core_->cgroup.stats(type_url, value);
    if (!e.empty()) return internal(e);
    return Status::Ok();
  }

  Status update(const std::string& resources_json) override {
    if (resources_json.empty()) return Status::Ok();  // an Update carrying only annotations
    OciResources res;
    std::string e = parse_oci_resources(resources_json, "UpdateTaskRequest.resources", &res);
    if (!e.empty()) return invalid(e);
    std::lock_guard<std::mutex> lock(core_->mu);
    if (!core_->cgroup.valid() || !core_->cgroup.exists())
      return Status::Error(Code::kFailedPrecondition, "container " + core_->id + " has no cgroup to update");
    e = core_->cgroup.apply(res);
    if (!e.empty()) return internal("update " + core_->id + ": " + e);
    return Status::Ok();
  }

  Status close_stdin(const std::string& exec_id) override {
    std::lock_guard<std::mutex> lock(core_->mu);
    auto it = core_->procs.find(exec_id);
    if (it == core_->procs.end()) return not_found(exec_id);
    if (it->second.stdio) it->second.stdio->close_stdin();
    return Status::Ok();
  }

  Status resize_pty(const std::string& exec_id, uint32_t, uint32_t) override {
    std::lock_guard<std::mutex> lock(core_->mu);
    if (!core_->procs.count(exec_id)) return not_found(exec_id);
    return Status::Ok();  // no pty is allocated (terminal output is passed through): nothing to resize
  }

 private:
  static std::string label(const std::string& exec_id) { return exec_id.empty() ? "init" : exec_id; }
  // Under the lock.
  Status exec_precondition(const std::string& exec_id) const {
    if (core_->kind != WorkloadKind::kRunc)
      return Status::Error(Code::kUnimplemented,
                           std::string("exec is not supported for ") + kind_name(core_->kind) +
                               " workloads: a wasm module has no process to exec into");
    if (core_->procs.count(exec_id)) return Status::Error(Code::kAlreadyExists, "exec " + exec_id + " already exists");
    auto init = core_->procs.find("");
    if (init == core_->procs.end() || init->second.status != ProcessStatus::kRunning)
      return Status::Error(Code::kFailedPrecondition, "exec " + exec_id + ": the container is not running");
    return Status::Ok();
  }
  Status not_found(const std::string& exec_id) const {
    return Status::Error(Code::kNotFound, "process " + label(exec_id) + " of " + core_->id + " not found");
  }
  std::shared_ptr<Core> core_;
};

std::string rootfs_dir(const OciSpec& spec, const std::string& bundle) {
  return spec.root_path[0] == '/' ? spec.root_path : bundle + "/" + spec.root_path;
}

}  // namespace

void start_process_monitor() { reaper::start(); }

Status Container::create(Flavour flavour, const std::string& ns, const std::string& id, const std::string& bundle,
                         const std::vector<MountSpec>& rootfs, const StdioSpec& stdio, std::unique_ptr<Container>* out) {
  reaper::start();
  if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..")
    return invalid("container id \"" + id + "\" is not a valid name");
  struct stat st;
  if (bundle.empty() || bundle[0] != '/' || ::stat(bundle.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return invalid("bundle \"" + bundle + "\": not an existing absolute directory");
  auto core = std::make_shared<Core>();
  core->ns = ns;
  core->id = id;
  core->bundle = bundle;
  std::string e = load_oci_spec(bundle + "/config.json", &core->spec);
  if (!e.empty()) return invalid(e);
  const OciSpec& spec = core->spec;
  std::string root = rootfs_dir(spec, bundle);

  // From here on every step is recorded before it is taken, so a failure (or a crash) is undone by
  // cleanup_from_state / the `delete` action.
  StateRecord& rec = core->state;
  bool killed = false;
  auto fail = [&](Status s) {
    cleanup_from_state(id, bundle, rec, &killed);
    return s;
  };
  if (!rootfs.empty()) {
    rec.rootfs = root;
    if (std::string se = save_state(bundle, rec); !se.empty()) return internal(se);
    if (std::string me = mount_rootfs(rootfs, root); !me.empty()) return fail(internal(me));
  }
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(invalid(bundle + "/config.json: root.path \"" + spec.root_path + "\": " + root + " is not a directory"));

  Workload w;
  e = classify_workload(flavour, spec, root, &w);
  if (!e.empty()) return fail(invalid(e));
  core->kind = w.kind;
  rec.kind = kind_name(w.kind);

  std::string cg_path = spec.cgroups_path.empty() ? "/" + ns + "/" + id : spec.cgroups_path;
  if (w.kind == WorkloadKind::kRunc) {
    rec.runc_root = runc_root_for(ns, bundle);
    rec.cgroup = cg_path;  // runc creates (and removes) it; we read it for stats, pids and OOM
    rec.own_cgroup = false;
  } else {
    rec.cgroup = cg_path;
    rec.own_cgroup = true;
  }
  if (std::string se = save_state(bundle, rec); !se.empty()) return fail(internal(se));

  Process init;
  init.spec = stdio;
  init.stdio = std::make_unique<ProcessStdio>();
  e = init.stdio->open(stdio, ns, id);
  if (!e.empty()) return fail(invalid(e));

  if (w.kind == WorkloadKind::kRunc) {
    if (spec.terminal)
      return fail(invalid(bundle + "/config.json: process.terminal: a terminal is not supported for runc-run "
                                   "(ELF/#!) containers by this shim"));
    core->runc = std::make_unique<Runc>(rec.runc_root, bundle + "/runc-log.json");
    std::string pid_file = bundle + "/runc-init.pid";
    e = core->runc->create(id, bundle, pid_file, init.stdio->child_fd(0), init.stdio->child_fd(1),
                           init.stdio->child_fd(2));
    init.stdio->close_child_copies();
    if (!e.empty()) return fail(internal(e));
    init.pid = read_pid_file(pid_file);
    if (init.pid <= 0) return fail(internal("runc create " + id + ": no pid in " + pid_file));
    // runc created the cgroup; a systemd-form path it resolved differently simply yields no stats.
    Cgroup::open(cg_path, false, &core->cgroup);
  } else {
    e = Cgroup::open(cg_path, true, &core->cgroup);
    if (!e.empty()) return fail(invalid(bundle + "/config.json: linux.cgroupsPath: " + e));
    e = core->cgroup.apply(spec.resources);
    if (!e.empty()) return fail(internal(bundle + "/config.json: linux.resources: " + e));
    SpawnRequest req;
    req.argv = w.argv;
    req.env = w.env;
    for (int i = 0; i < 3; ++i) req.stdio[i] = init.stdio->child_fd(i);
    req.cwd = w.cwd;
    req.cgroup_procs = core->cgroup.procs_files();
    req.netns_path = spec.netns_path;
    req.set_user = spec.uid != 0 || spec.gid != 0 || !spec.additional_gids.empty();
    req.uid = spec.uid;
    req.gid = spec.gid;
    req.additional_gids = spec.additional_gids;
    req.no_new_privs = spec.no_new_privileges;
    init.gate = std::make_unique<SpawnedProcess>();
    e = spawn_gated(req, init.gate.get());
    init.stdio->close_child_copies();
    if (!e.empty()) return fail(internal("create " + id + ": " + e));
    init.pid = init.gate->pid();
  }
  core->oom_base = core->cgroup.valid() ? core->cgroup.oom_kills() : 0;
  core->exit_oom_base = core->oom_base;
  watch_oom(core);
  init.start_time = process_start_time(init.pid);
  rec.pid = init.pid;
  rec.start_time = init.start_time;
  save_state(bundle, rec);
  pid_t pid = init.pid;
  core->procs.emplace("", std::move(init));
  watch_process(core, "", pid);
  *out = std::make_unique<ContainerImpl>(core);
  return Status::Ok();
}

}  // namespace wasipool::shim
