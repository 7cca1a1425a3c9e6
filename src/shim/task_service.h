// The containerd.task.v2.Task service (containerd-shim-v2.md §3): the RPC state machine of one shim
// daemon. It keeps a map id -> task (one shim serves every container of a pod when containerd groups them
// by sandbox id), turns RPCs into calls on Container (container.h, the process side) and publishes the
// task events in containerd's order: create, start, exit, delete (exec: exec-added, exec-started, exit).
//
// Ownership: the daemon owns the TaskService; the service owns its tasks; each task owns its Container
// through a shared_ptr so a handler blocked in Wait keeps it alive across a concurrent Delete.
// Threading: every handler runs on its own ttrpc thread; exit/OOM listeners run on the reaper thread.
// The task map has one mutex; each task has its own mutex that orders its events.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "shim/container.h"
#include "shim/events.h"
#include "shim/shim_main.h"
#include "shim/ttrpc/ttrpc.h"

namespace wasipool::shim {

inline constexpr const char* kTaskService = "containerd.task.v2.Task";

class TaskService {
 public:
  // request_exit is called (from the Shutdown handler's thread, after it decided) when the daemon should
  // stop serving and exit: Shutdown arrived and no task is left.
  TaskService(Flavour flavour, std::string ns, Publisher* publisher, std::function<void()> request_exit);
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  void register_methods(ttrpc::Server* server);
  size_t task_count();

 private:
  struct Task;
  // The task for `id`, or NOT_FOUND naming it.
  ttrpc::Status find(const std::string& id, std::shared_ptr<Task>* out);
  void watch(const std::shared_ptr<Task>& task);
  void publish_exit_locked(Task& task, const std::string& exec_id, uint32_t pid, const ExitInfo& exit);
  // Publishes the oom (init only) and exit events held for EXEC_ID until its start went out. Under task.mu.
  void flush_held_events_locked(Task& task, const std::string& exec_id);

  const Flavour flavour_;
  const std::string ns_;
  Publisher* const publisher_;  // borrowed; outlives the service
  const std::function<void()> request_exit_;

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Task>> tasks_;
  std::set<std::string> creating_;  // ids between the Create check and Container::create's return
};

}  // namespace wasipool::shim
