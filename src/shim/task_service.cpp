#include "shim/task_service.h"

#include <time.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "events.pb.h"
#include "shim/daemon_log.h"
#include "task.pb.h"
#include "wire.pb.h"

#ifndef WASIPOOL_VERSION
#define WASIPOOL_VERSION "unknown"
#endif

namespace wasipool::shim {

namespace v2 = containerd::task::v2;
namespace ev = containerd::events;
using ttrpc::Code;
using ttrpc::Status;

struct TaskService::Task {
  std::string id, bundle;
  StdioSpec stdio;
  std::vector<MountSpec> rootfs;
  std::shared_ptr<Container> container;

  // Event ordering (guarded by mu): an exit is published only after the process's start event, so a
  // process that exits before its Start handler has published /tasks/start has its exit held here.
  std::mutex mu;
  std::set<std::string> start_published;  // exec ids ("" = init)
  std::map<std::string, ev::TaskExit> held_exits;
  bool held_oom = false;  // an OOM reported before /tasks/start went out
};

namespace {

void set_timestamp(wasipool::wire::Timestamp* ts, int64_t sec, int32_t nsec) {
  ts->set_seconds(sec);
  ts->set_nanos(nsec);
}

void now(int64_t* sec, int32_t* nsec) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  *sec = ts.tv_sec;
  *nsec = static_cast<int32_t>(ts.tv_nsec);
}

StdioSpec stdio_of(const std::string& in, const std::string& out, const std::string& err, bool terminal) {
  StdioSpec s;
  s.stdin_path = in;
  s.stdout_path = out;
  s.stderr_path = err;
  s.terminal = terminal;
  return s;
}

void publish_oom(Publisher& publisher, const std::string& id) {
  ev::TaskOOM e;
  e.set_container_id(id);
  publisher.publish("/tasks/oom", e);
}

Status require_id(const std::string& id, const char* method) {
  if (id.empty()) return Status::Error(Code::kInvalidArgument, std::string(method) + ": id must not be empty");
  return Status::Ok();
}

}  // namespace

TaskService::TaskService(Flavour flavour, std::string ns, Publisher* publisher,
                         std::function<void()> request_exit)
    : flavour_(flavour), ns_(std::move(ns)), publisher_(publisher), request_exit_(std::move(request_exit)) {}

TaskService::~TaskService() = default;

size_t TaskService::task_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.size() + creating_.size();
}

Status TaskService::find(const std::string& id, std::shared_ptr<Task>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return Status::Error(Code::kNotFound, "task " + id + " not found");
  *out = it->second;
  return Status::Ok();
}

void TaskService::publish_exit_locked(Task& task, const std::string& exec_id, uint32_t pid, const ExitInfo& exit) {
  ev::TaskExit e;
  e.set_container_id(task.id);
  e.set_id(exec_id.empty() ? task.id : exec_id);  // containerd: the init's exit carries the container id
  e.set_pid(pid);
  e.set_exit_status(exit.exit_status);
  set_timestamp(e.mutable_exited_at(), exit.exited_at_sec, exit.exited_at_nsec);
  if (task.start_published.count(exec_id)) {
    publisher_->publish("/tasks/exit", e);
  } else {
    task.held_exits[exec_id] = std::move(e);
  }
}

void TaskService::flush_held_events_locked(Task& task, const std::string& exec_id) {
  if (exec_id.empty() && task.held_oom) {
    publish_oom(*publisher_, task.id);
    task.held_oom = false;
  }
  if (auto it = task.held_exits.find(exec_id); it != task.held_exits.end()) {
    publisher_->publish("/tasks/exit", it->second);
    task.held_exits.erase(it);
  }
}

void TaskService::watch(const std::shared_ptr<Task>& task) {
  // Weak: the listeners live inside the Container, which the Task owns; a strong capture would be a cycle.
  std::weak_ptr<Task> weak = task;
  task->container->on_exit([this, weak](const std::string& exec_id, uint32_t pid, const ExitInfo& exit) {
    auto t = weak.lock();
    if (!t) return;
    std::lock_guard<std::mutex> lock(t->mu);
    publish_exit_locked(*t, exec_id, pid, exit);
  });
  task->container->on_oom([this, weak] {
    auto t = weak.lock();
    if (!t) return;
    std::lock_guard<std::mutex> lock(t->mu);
    if (!t->start_published.count("")) {
      t->held_oom = true;
      return;
    }
    publish_oom(*publisher_, t->id);
  });
}

void TaskService::register_methods(ttrpc::Server* server) {
  const std::string svc = kTaskService;

  server->register_typed<v2::CreateTaskRequest, v2::CreateTaskResponse>(
      svc, "Create", [this](const ttrpc::CallInfo&, const v2::CreateTaskRequest& r, v2::CreateTaskResponse* resp) {
        if (Status st = require_id(r.id(), "Create"); !st.ok()) return st;
        if (!r.checkpoint().empty() || !r.parent_checkpoint().empty())
          return Status::Error(Code::kUnimplemented,
                               "restore from a checkpoint is not supported by the wasipool shim");
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (tasks_.count(r.id()) || creating_.count(r.id()))
            return Status::Error(Code::kAlreadyExists, "task " + r.id() + " already exists");
          creating_.insert(r.id());
        }
        auto task = std::make_shared<Task>();
        task->id = r.id();
        task->bundle = r.bundle();
        task->stdio = stdio_of(r.stdin(), r.stdout(), r.stderr(), r.terminal());
        for (const auto& m : r.rootfs()) {
          MountSpec ms;
          ms.type = m.type();
          ms.source = m.source();
          ms.target = m.target();
          ms.options.assign(m.options().begin(), m.options().end());
          task->rootfs.push_back(std::move(ms));
        }
        std::unique_ptr<Container> c;
        Status st = Container::create(flavour_, ns_, task->id, task->bundle, task->rootfs, task->stdio, &c);
        if (st.ok() && !c) st = Status::Error(Code::kInternal, "create " + task->id + ": no container");
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          creating_.erase(r.id());
          log_warn("create %s failed: %s", r.id().c_str(), st.message.c_str());
          return st;
        }
        task->container = std::move(c);
        watch(task);
        uint32_t pid = task->container->pid();
        {
          std::lock_guard<std::mutex> tl(task->mu);
          ev::TaskCreate e;
          e.set_container_id(task->id);
          e.set_bundle(task->bundle);
          *e.mutable_rootfs() = r.rootfs();
          e.mutable_io()->set_stdin(r.stdin());
          e.mutable_io()->set_stdout(r.stdout());
          e.mutable_io()->set_stderr(r.stderr());
          e.mutable_io()->set_terminal(r.terminal());
          e.set_pid(pid);
          publisher_->publish("/tasks/create", e);
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          creating_.erase(r.id());
          tasks_[r.id()] = task;
        }
        log_info("created task %s pid %u", r.id().c_str(), pid);
        resp->set_pid(pid);
        return Status::Ok();
      });

  server->register_typed<v2::StartRequest, v2::StartResponse>(
      svc, "Start", [this](const ttrpc::CallInfo&, const v2::StartRequest& r, v2::StartResponse* resp) {
        std::shared_ptr<Task> t;
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        uint32_t pid = 0;
        Status st = t->container->start(r.exec_id(), &pid);
        std::lock_guard<std::mutex> lock(t->mu);
        if (!st.ok()) return st;
        if (r.exec_id().empty()) {
          ev::TaskStart e;
          e.set_container_id(t->id);
          e.set_pid(pid);
          publisher_->publish("/tasks/start", e);
        } else {
          ev::TaskExecStarted e;
          e.set_container_id(t->id);
          e.set_exec_id(r.exec_id());
          e.set_pid(pid);
          publisher_->publish("/tasks/exec-started", e);
        }
        t->start_published.insert(r.exec_id());
        // The process may already have been OOM-killed or have exited, its events held until now.
        flush_held_events_locked(*t, r.exec_id());
        resp->set_pid(pid);
        return Status::Ok();
      });

  server->register_typed<v2::WaitRequest, v2::WaitResponse>(
      svc, "Wait", [this](const ttrpc::CallInfo&, const v2::WaitRequest& r, v2::WaitResponse* resp) {
        std::shared_ptr<Task> t;  // keeps the Container alive while we block
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        ExitInfo exit;
        Status st = t->container->wait(r.exec_id(), &exit);
        if (!st.ok()) return st;
        resp->set_exit_status(exit.exit_status);
        set_timestamp(resp->mutable_exited_at(), exit.exited_at_sec, exit.exited_at_nsec);
        return Status::Ok();
      });

  server->register_typed<v2::StateRequest, v2::StateResponse>(
      svc, "State", [this](const ttrpc::CallInfo&, const v2::StateRequest& r, v2::StateResponse* resp) {
        std::shared_ptr<Task> t;
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        ProcessState ps;
        Status st = t->container->state(r.exec_id(), &ps);
        if (!st.ok()) return st;
        // containerd reads field 1 as the process id: the exec id for an exec [obs].
        resp->set_id(r.exec_id().empty() ? t->id : r.exec_id());
        resp->set_exec_id(r.exec_id());
        resp->set_bundle(t->bundle);
        resp->set_pid(ps.pid);
        resp->set_status(static_cast<containerd::v1::types::Status>(static_cast<int>(ps.status)));
        resp->set_stdin(ps.stdio.stdin_path);
        resp->set_stdout(ps.stdio.stdout_path);
        resp->set_stderr(ps.stdio.stderr_path);
        resp->set_terminal(ps.stdio.terminal);
        // Exit fields only once the process has exited: a zero exit_status of a running process would read
        // as "exited 0" to anything that ignores status.
        if (ps.status == ProcessStatus::kStopped) {
          resp->set_exit_status(ps.exit.exit_status);
          set_timestamp(resp->mutable_exited_at(), ps.exit.exited_at_sec, ps.exit.exited_at_nsec);
        }
        return Status::Ok();
      });

  server->register_typed<v2::KillRequest, wasipool::wire::Empty>(
      svc, "Kill", [this](const ttrpc::CallInfo&, const v2::KillRequest& r, wasipool::wire::Empty*) {
        std::shared_ptr<Task> t;
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        log_debug("kill %s/%s signal %u all=%d", r.id().c_str(), r.exec_id().c_str(), r.signal(), r.all());
        return t->container->kill(r.exec_id(), r.signal(), r.all());
      });

  server->register_typed<v2::DeleteRequest, v2::DeleteResponse>(
      svc, "Delete", [this](const ttrpc::CallInfo&, const v2::DeleteRequest& r, v2::DeleteResponse* resp) {
        std::shared_ptr<Task> t;
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        ProcessState ps;
        Status st = t->container->state(r.exec_id(), &ps);
        if (!st.ok()) return st;
        ExitInfo exit;
        if (r.exec_id().empty()) {
          st = t->container->destroy(&exit);
          if (!st.ok()) return st;
          std::lock_guard<std::mutex> lock(mu_);
          tasks_.erase(r.id());
        } else {
          st = t->container->delete_exec(r.exec_id(), &exit);
          if (!st.ok()) return st;
        }
        if (exit.exited_at_sec == 0 && exit.exited_at_nsec == 0) now(&exit.exited_at_sec, &exit.exited_at_nsec);
        {
          std::lock_guard<std::mutex> lock(t->mu);
          // Events held because the process never started (killed while created) go out now: oom and
          // exit always precede delete.
          flush_held_events_locked(*t, r.exec_id());
          t->start_published.erase(r.exec_id());
          if (r.exec_id().empty()) {
            ev::TaskDelete e;
            e.set_container_id(t->id);
            e.set_id(t->id);
            e.set_pid(ps.pid);
            e.set_exit_status(exit.exit_status);
            set_timestamp(e.mutable_exited_at(), exit.exited_at_sec, exit.exited_at_nsec);
            publisher_->publish("/tasks/delete", e);
          }
        }
        resp->set_pid(ps.pid);
        resp->set_exit_status(exit.exit_status);
        set_timestamp(resp->mutable_exited_at(), exit.exited_at_sec, exit.exited_at_nsec);
        if (r.exec_id().empty()) log_info("deleted task %s (exit %u)", r.id().c_str(), exit.exit_status);
        return Status::Ok();
      });

  server->register_typed<v2::PidsRequest, v2::PidsResponse>(
      svc, "Pids", [this](const ttrpc::CallInfo&, const v2::PidsRequest& r, v2::PidsResponse* resp) {
        std::shared_ptr<Task> t;
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        std::vector<uint32_t> pids;
        Status st = t->container->pids(&pids);
        if (!st.ok()) return st;
        for (uint32_t p : pids) resp->add_processes()->set_pid(p);
        return Status::Ok();
      });

  server->register_typed<v2::ConnectRequest, v2::ConnectResponse>(
      svc, "Connect", [this](const ttrpc::CallInfo&, const v2::ConnectRequest& r, v2::ConnectResponse* resp) {
        resp->set_shim_pid(static_cast<uint32_t>(getpid()));
        // containerd uses task_pid as the task's pid; an unknown id is not an error (as runc's shim).
        std::shared_ptr<Task> t;
        if (find(r.id(), &t).ok()) resp->set_task_pid(t->container->pid());
        resp->set_version(WASIPOOL_VERSION);
        return Status::Ok();
      });

  server->register_typed<v2::ShutdownRequest, wasipool::wire::Empty>(
      svc, "Shutdown", [this](const ttrpc::CallInfo&, const v2::ShutdownRequest& r, wasipool::wire::Empty*) {
        // One shim serves a whole pod: a Shutdown for one container must not take the others down.
        size_t left = task_count();
        if (left > 0) {
          log_debug("shutdown %s: %zu task(s) left, staying up", r.id().c_str(), left);
          return Status::Ok();
        }
        log_info("shutdown %s: no task left, exiting", r.id().c_str());
        request_exit_();
        return Status::Ok();
      });

  server->register_typed<v2::CloseIORequest, wasipool::wire::Empty>(
      svc, "CloseIO", [this](const ttrpc::CallInfo&, const v2::CloseIORequest& r, wasipool::wire::Empty*) {
        std::shared_ptr<Task> t;
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        if (!r.stdin()) return Status::Ok();
        return t->container->close_stdin(r.exec_id());
      });

  server->register_typed<v2::ResizePtyRequest, wasipool::wire::Empty>(
      svc, "ResizePty", [this](const ttrpc::CallInfo&, const v2::ResizePtyRequest& r, wasipool::wire::Empty*) {
        std::shared_ptr<Task> t;
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        return t->container->resize_pty(r.exec_id(), r.width(), r.height());
      });

  server->register_typed<v2::StatsRequest, v2::StatsResponse>(
      svc, "Stats", [this](const ttrpc::CallInfo&, const v2::StatsRequest& r, v2::StatsResponse* resp) {
        std::shared_ptr<Task> t;
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        std::string type_url, value;
        Status st = t->container->stats(&type_url, &value);
        if (!st.ok()) return st;
        resp->mutable_stats()->set_type_url(type_url);
        resp->mutable_stats()->set_value(value);
        return Status::Ok();
      });

  server->register_typed<v2::UpdateTaskRequest, wasipool::wire::Empty>(
      svc, "Update", [this](const ttrpc::CallInfo&, const v2::UpdateTaskRequest& r, wasipool::wire::Empty*) {
        std::shared_ptr<Task> t;
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        if (!r.has_resources() || r.resources().value().empty()) return Status::Ok();  // annotations only
        return t->container->update(r.resources().value());
      });

  server->register_typed<v2::ExecProcessRequest, wasipool::wire::Empty>(
      svc, "Exec", [this](const ttrpc::CallInfo&, const v2::ExecProcessRequest& r, wasipool::wire::Empty*) {
        std::shared_ptr<Task> t;
        if (Status st = find(r.id(), &t); !st.ok()) return st;
        if (r.exec_id().empty()) return Status::Error(Code::kInvalidArgument, "Exec: exec_id must not be empty");
        Status st = t->container->exec(r.exec_id(), stdio_of(r.stdin(), r.stdout(), r.stderr(), r.terminal()),
                                       r.spec().value());
        if (!st.ok()) return st;
        std::lock_guard<std::mutex> lock(t->mu);
        ev::TaskExecAdded e;
        e.set_container_id(t->id);
        e.set_exec_id(r.exec_id());
        publisher_->publish("/tasks/exec-added", e);
        return Status::Ok();
      });

  // Not supported: a guest's state lives in the engine's memory inside the workload process; freezing it
  // (Pause/Resume) or snapshotting it (Checkpoint) would need a freezer cgroup or CRIU for every flavour.
  // containerd maps UNIMPLEMENTED to ErrNotImplemented, which ctr/CRI report as "not implemented".
  auto unimplemented = [this, svc, server](const char* method, const char* why) {
    server->register_method(svc, method, [method, why](const ttrpc::CallInfo&, const std::string&, std::string*) {
      return Status::Error(Code::kUnimplemented, std::string(method) + " is not supported by the wasipool shim: " + why);
    });
  };
  unimplemented("Pause", "freezing a running wasm guest is not implemented");
  unimplemented("Resume", "freezing a running wasm guest is not implemented");
  unimplemented("Checkpoint", "checkpoint/restore of a wasm guest is not implemented");
}

}  // namespace wasipool::shim
