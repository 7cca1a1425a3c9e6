// Internals shared by container*.cpp: the workload kinds, the classification of a bundle, and the state
// record kept in the bundle so the `delete` binary action (another process) can undo a Create.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "shim/container.h"
#include "shim/oci_spec.h"

namespace wasipool::shim {

enum class WorkloadKind { kRunc, kWasm, kSpin, kSlight };
const char* kind_name(WorkloadKind k);

// How Create runs the container: runc on the bundle, or `<wasipool> <subcommand> ...` as a child (the CLI
// installed beside the shim binary: container_classify.cpp).
struct Workload {
  WorkloadKind kind = WorkloadKind::kWasm;
  std::vector<std::string> argv;  // for wasm kinds: the re-exec command line (argv[0] = that binary)
  std::vector<std::string> env;   // the child's environment
  std::string cwd;                // host directory the child starts in
};

// Classifies as runwasi does (containerd-shim-v2.md §7.3): args[0] resolved through the spec's PATH in
// the rootfs to an executable ELF / #! file -> runc; otherwise by flavour. Errors are INVALID_ARGUMENT
// texts naming the file and the field.
std::string classify_workload(Flavour flavour, const OciSpec& spec, const std::string& rootfs, Workload* out);

// Resolves `path` (absolute inside the container) inside `root` without ever leaving it: symlinks are
// followed with `root` as "/", ".." stops at the root. Returns the host path ("" if a component is
// missing).
std::string resolve_in_root(const std::string& root, const std::string& path);

// <bundle>/wasipool-state.json: written at Create (before anything that needs undoing), updated as
// steps complete, read by cleanup_bundle.
struct StateRecord {
  std::string kind;        // kind_name, "" while unknown
  int pid = 0;
  uint64_t start_time = 0;  // /proc/<pid>/stat starttime: a reused pid must never be killed by mistake
  std::string rootfs;       // mounted rootfs dir ("" = nothing mounted by us)
  std::string cgroup;       // cgroup path we created/used ("" = none)
  bool own_cgroup = false;  // we created it (wasm kinds) -> we remove it
  std::string runc_root;    // set for runc containers
};
std::string save_state(const std::string& bundle, const StateRecord& st);
bool load_state(const std::string& bundle, StateRecord* st);

// <bundle>/wasipool-exit: the init's exit as the reaper saw it, for the `delete` action's answer.
void save_exit(const std::string& bundle, const ExitInfo& exit);
bool load_exit(const std::string& bundle, ExitInfo* exit);

uint64_t process_start_time(pid_t pid);  // 0 when gone
bool process_alive(pid_t pid, uint64_t start_time);  // running (not a zombie) and the same process

// Undoes a Create (both for Container::destroy and the `delete` action): kills what is left (sets
// *killed), `runc delete --force`, removes the cgroup, unmounts the rootfs, removes the state files.
// Returns "" or the first error.
std::string cleanup_from_state(const std::string& id, const std::string& bundle, const StateRecord& st, bool* killed);

// runc's --root for this shim: WASIPOOL_RUNC_ROOT, or <containerd state>/runc-wasipool/<ns> when the
// bundle is under <state>/io.containerd.runtime.v2.task/<ns>/<id> (so a private containerd keeps its own),
// else /run/containerd/runc-wasipool/<ns>.
std::string runc_root_for(const std::string& ns, const std::string& bundle);

}  // namespace wasipool::shim
