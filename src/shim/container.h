// The OS side of one task: the contract between the Task service (task_service.cpp, the RPC state machine)
// and the code that mounts, classifies, spawns, confines, watches and cleans up a container's processes
// (container*.cpp, cgroups*.cpp, stdio*.cpp, runc*.cpp, reaper*.cpp).
//
// Ownership: the Task service owns each Container (unique_ptr) from Create until Delete. A Container owns its
// processes (init + execs), their cgroup, their stdio copies and the rootfs mounts.
// Threading: every method is safe to call concurrently from ttrpc handler threads; wait() blocks the caller
// only. Exit listeners run on the exit-dispatch thread and OOM listeners on the OOM monitor thread (never on
// the waitpid loop); they must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shim/shim_main.h"
#include "shim/ttrpc/ttrpc.h"

namespace wasipool::shim {

// containerd.types.Mount, as CreateTaskRequest.rootfs carries it.
struct MountSpec {
  std::string type, source, target;
  std::vector<std::string> options;
};

// Paths as Create/Exec carry them: "" = not attached; a FIFO path, "fifo://", "file:///abs" or
// "binary:///abs?k=v" (containerd-shim-v2.md §5).
struct StdioSpec {
  std::string stdin_path, stdout_path, stderr_path;
  bool terminal = false;
};

// containerd.v1.types.Status values.
enum class ProcessStatus : int { kUnknown = 0, kCreated = 1, kRunning = 2, kStopped = 3 };

struct ExitInfo {
  uint32_t exit_status = 0;  // exit code, or 128+signal when killed (SIGKILL/OOM -> 137)
  int64_t exited_at_sec = 0;  // unix time; 0/0 while running
  int32_t exited_at_nsec = 0;
  bool oom = false;  // killed by the memory cgroup's OOM killer
};

struct ProcessState {
  uint32_t pid = 0;  // 0 while an exec has not started
  ProcessStatus status = ProcessStatus::kUnknown;
  ExitInfo exit;  // valid when status == kStopped
  StdioSpec stdio;
};

// exec_id "" always means the init process.
class Container {
 public:
  virtual ~Container() = default;

  // Create: mount `rootfs` onto <bundle>/rootfs in order, read <bundle>/config.json, classify (ELF/shebang ->
  // runc; otherwise by flavour: spin /spin.toml, slight /slightfile.toml + /app.wasm, wasm args[0] with \0asm
  // magic), prepare the cgroup (linux.cgroupsPath + resources) and stdio, and create the init process held
  // before the workload, so pid() is valid on return. Errors: INVALID_ARGUMENT (bad bundle/spec, not a wasm
  // module, ...) with a message naming the file and the reason; INTERNAL for OS failures (with errno text).
  static ttrpc::Status create(Flavour flavour, const std::string& ns, const std::string& id,
                              const std::string& bundle, const std::vector<MountSpec>& rootfs,
                              const StdioSpec& stdio, std::unique_ptr<Container>* out);

  // The `delete` binary action and crash cleanup: kill whatever of this container still runs, unmount
  // <bundle>/rootfs, remove the cgroup, `runc delete --force` when runc ran it. Idempotent: a bundle already
  // cleaned (or never created) is success. Fills what is known about the init's exit (pid, status).
  static ttrpc::Status cleanup_bundle(const std::string& ns, const std::string& id, const std::string& bundle,
                                      uint32_t* pid, ExitInfo* exit);

  // Called once per process exit (exec_id "" = init) from the exit-dispatch thread.
  using ExitListener = std::function<void(const std::string& exec_id, uint32_t pid, const ExitInfo&)>;
  virtual void on_exit(ExitListener listener) = 0;
  // Called when the memory cgroup reports an OOM kill (before the matching exit).
  virtual void on_oom(std::function<void()> listener) = 0;

  virtual uint32_t pid() const = 0;  // the init process

  // Exec: a new process described by an OCI Process JSON (ExecProcessRequest.spec value). ALREADY_EXISTS
  // for a duplicate exec_id; UNIMPLEMENTED with a clear message where the workload kind cannot exec.
  virtual ttrpc::Status exec(const std::string& exec_id, const StdioSpec& stdio, const std::string& process_json) = 0;

  virtual ttrpc::Status start(const std::string& exec_id, uint32_t* pid) = 0;
  // NOT_FOUND once the process has exited ("process already finished"); all=true signals every process
  // of the container (its cgroup).
  virtual ttrpc::Status kill(const std::string& exec_id, uint32_t signal, bool all) = 0;
  // Blocks until the process exits (also when called before start()). NOT_FOUND for an unknown exec_id.
  virtual ttrpc::Status wait(const std::string& exec_id, ExitInfo* exit) = 0;
  virtual ttrpc::Status state(const std::string& exec_id, ProcessState* out) = 0;
  // Deletes an exited exec process (FAILED_PRECONDITION while it runs).
  virtual ttrpc::Status delete_exec(const std::string& exec_id, ExitInfo* exit) = 0;
  // Deletes the init: it must have exited (FAILED_PRECONDITION otherwise); then as cleanup_bundle.
  virtual ttrpc::Status destroy(ExitInfo* exit) = 0;

  virtual ttrpc::Status pids(std::vector<uint32_t>* out) = 0;
  // Cgroup metrics as containerd's CRI decodes them: type_url "io.containerd.cgroups.v1.Metrics" or
  // "io.containerd.cgroups.v2.Metrics" and the serialized message.
  virtual ttrpc::Status stats(std::string* type_url, std::string* value) = 0;
  // UpdateTaskRequest.resources: JSON of OCI LinuxResources.
  virtual ttrpc::Status update(const std::string& resources_json) = 0;
  virtual ttrpc::Status close_stdin(const std::string& exec_id) = 0;
  virtual ttrpc::Status resize_pty(const std::string& exec_id, uint32_t width, uint32_t height) = 0;
};

// Once per shim daemon, before serving: become the child subreaper (runc's container processes are
// re-parented to us) and start the thread that reaps children and dispatches exits to containers.
void start_process_monitor();

}  // namespace wasipool::shim
