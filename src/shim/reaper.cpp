// The reaper thread and the pid -> watcher registry (see reaper.h).
#include "shim/reaper.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "shim/reaper_spawn.h"

namespace wasipool::shim::reaper {

namespace {

struct Registry {
  std::mutex mu;
  std::condition_variable children_cv;  // a child may exist now: the reaper's ECHILD sleep ends
  bool started = false;
  struct Watcher {
    std::function<void(int)> fn;
    bool inline_call = false;  // runs on the waitpid thread itself (wait_for: never blocks)
  };
  std::map<pid_t, Watcher> watchers;
  // Exit callbacks for containers run on a second thread: a callback blocked on a container's lock
  // must never stop the waitpid loop, or a synchronous `runc` waited by the lock holder is never reaped.
  std::deque<std::pair<std::function<void(int)>, int>> dispatch;
  std::condition_variable dispatch_cv;
  // Exits nobody watched (yet): a fast child, runc's container init dying before we read its pid file,
  // or processes re-parented to us. Bounded, oldest dropped: a pid is reused only after wrapping.
  std::deque<std::pair<pid_t, int>> unclaimed;
};

Registry& registry() {
  static Registry* r = new Registry();  // leaked on purpose: the reaper thread outlives static destruction
  return *r;
}

constexpr size_t kMaxUnclaimed = 1024;

void reaper_loop() {
  Registry& r = registry();
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      // ECHILD: nothing to wait for. Sleep until a spawn says there may be a child (bounded, in case
      // a child appeared through a path that did not notify: a re-parented orphan).
      std::unique_lock<std::mutex> lock(r.mu);
      r.children_cv.wait_for(lock, std::chrono::milliseconds(200));
      continue;
    }
    std::function<void(int)> fn;
    {
      std::lock_guard<std::mutex> lock(r.mu);
      auto it = r.watchers.find(pid);
      if (it != r.watchers.end()) {
        if (it->second.inline_call) {
          fn = std::move(it->second.fn);
        } else {
          r.dispatch.emplace_back(std::move(it->second.fn), status);
          r.dispatch_cv.notify_one();
        }
        r.watchers.erase(it);
      } else {
        r.unclaimed.emplace_back(pid, status);
        if (r.unclaimed.size() > kMaxUnclaimed) r.unclaimed.pop_front();
      }
    }
    if (fn) fn(status);
  }
}

void dispatch_loop() {
  Registry& r = registry();
  for (;;) {
    std::pair<std::function<void(int)>, int> item;
    {
      std::unique_lock<std::mutex> lock(r.mu);
      r.dispatch_cv.wait(lock, [&] { return !r.dispatch.empty(); });
      item = std::move(r.dispatch.front());
      r.dispatch.pop_front();
    }
    item.first(item.second);
  }
}

void watch_impl(pid_t pid, std::function<void(int)> on_exit, bool inline_call) {
  Registry& r = registry();
  int status = 0;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    bool found = false;
    for (auto it = r.unclaimed.begin(); it != r.unclaimed.end(); ++it) {
      if (it->first == pid) {
        status = it->second;
        r.unclaimed.erase(it);
        found = true;
        break;
      }
    }
    if (!found) {
      r.watchers[pid] = Registry::Watcher{std::move(on_exit), inline_call};
      r.children_cv.notify_all();
      return;
    }
  }
  on_exit(status);
}

}  // namespace

void start() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.started) return;
  r.started = true;
  // Container inits that runc creates (and grandchildren of our workloads) are re-parented to us, so
  // their exit status reaches this process instead of init(1).
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  std::thread(reaper_loop).detach();
  std::thread(dispatch_loop).detach();
}

bool running() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.started;
}

void watch(pid_t pid, std::function<void(int)> on_exit) { watch_impl(pid, std::move(on_exit), false); }

int wait_for(pid_t pid) {
  if (!running()) {
    int status = 0;
    while (::waitpid(pid, &status, __WALL) < 0) {
      if (errno != EINTR) return -1;
    }
    return status;
  }
  struct Slot {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    int status = 0;
  };
  auto slot = std::make_shared<Slot>();
  watch_impl(pid, [slot](int st) {
    std::lock_guard<std::mutex> lock(slot->mu);
    slot->done = true;
    slot->status = st;
    slot->cv.notify_all();
  }, /*inline_call=*/true);
  std::unique_lock<std::mutex> lock(slot->mu);
  slot->cv.wait(lock, [&] { return slot->done; });
  return slot->status;
}

int run_sync(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd, int stderr_fd,
             std::string* capture, std::string* error) {
  int pipefd[2] = {-1, -1};
  bool capturing = capture && stderr_fd < 0;
  if (capturing && ::pipe2(pipefd, O_CLOEXEC) != 0) {
    if (error) *error = std::string("pipe: ") + std::strerror(errno);
    return -1;
  }
  SpawnRequest req;
  req.argv = argv;
  req.stdio[0] = stdin_fd;
  req.stdio[1] = stdout_fd;
  req.stdio[2] = capturing ? pipefd[1] : stderr_fd;
  pid_t pid = -1;
  std::string err = spawn_process(req, &pid);
  if (capturing) ::close(pipefd[1]);
  if (!err.empty()) {
    if (capturing) ::close(pipefd[0]);
    if (error) *error = err;
    return -1;
  }
  if (capturing) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(pipefd[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (capture->size() < (64u << 10)) capture->append(buf, static_cast<size_t>(n));
    }
    ::close(pipefd[0]);
  }
  return wait_for(pid);
}

uint32_t exit_status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return static_cast<uint32_t>(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return 128u + static_cast<uint32_t>(WTERMSIG(wait_status));
  return 255;
}

}  // namespace wasipool::shim::reaper
