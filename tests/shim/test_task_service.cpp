// The Task service through the real shim daemon, with this test playing containerd: the RPCs in the order
// containerd 1.6 sends them (containerd-shim-v2.md §3.1), and a fake containerd events endpoint on
// $TTRPC_ADDRESS that records every Forward, to check topics, order, bare type URLs and the namespace
// metadata (§4).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "events.pb.h"
#include "events_ttrpc.pb.h"
#include "shim_test_util.h"
#include "task.pb.h"
#include "wire.pb.h"

using namespace shimtest;
namespace v2 = containerd::task::v2;
using wasipool::ttrpc::CallInfo;
using wasipool::ttrpc::Client;
using wasipool::ttrpc::Code;
using wasipool::ttrpc::Server;
using wasipool::ttrpc::Status;

namespace {

struct Event {
  std::string ns_metadata, ns, topic, type_url, value;
};

// containerd's side of Events/Forward: records what the shim sends.
class FakeEvents {
 public:
  explicit FakeEvents(const std::string& path) : path_(path) {
    server_.register_method("containerd.services.events.ttrpc.v1.Events", "Forward",
                            [this](const CallInfo& call, const std::string& in, std::string*) {
                              containerd::services::events::ttrpc::v1::ForwardRequest req;
                              if (!req.ParseFromString(in)) return Status::Error(Code::kInvalidArgument, "bad");
                              Event e;
                              for (const auto& [k, v] : call.metadata)
                                if (k == "containerd-namespace-ttrpc") e.ns_metadata = v;
                              e.ns = req.envelope().namespace_();
                              e.topic = req.envelope().topic();
                              e.type_url = req.envelope().event().type_url();
                              e.value = req.envelope().event().value();
                              std::lock_guard<std::mutex> lock(mu_);
                              events_.push_back(e);
                              cv_.notify_all();
                              return Status::Ok();
                            });
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    listen(fd, 16);
    thread_ = std::thread([this, fd] { server_.serve(fd); });
  }
  ~FakeEvents() {
    server_.shutdown();
    thread_.join();
  }
  // Waits (hang guard 30 s) until `n` events arrived; returns a copy.
  std::vector<Event> wait_for(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return events_.size() >= n; });
    return events_;
  }

 private:
  std::string path_;
  Server server_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

std::string guest(const char* name) { return std::string(WASIPOOL_SHIM_GUESTS) + "/" + name + ".wasm"; }

// A bundle whose rootfs holds `module` as /app.wasm, run with `args`.
std::string make_wasm_bundle(const TempDir& tmp, const std::string& name, const std::string& module,
                             const std::string& args_json, const std::string& annotations = "") {
  std::string dir = tmp.path() + "/" + name;
  mkdir(dir.c_str(), 0711);
  mkdir((dir + "/rootfs").c_str(), 0755);
  write_file(dir + "/rootfs/app.wasm", read_file(module));
  write_file(dir + "/config.json",
             "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"/app.wasm\"" + args_json +
                 "],\"env\":[\"PATH=/\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},\"annotations\":{" +
                 annotations + "}}");
  return dir;
}

struct Shim {
  std::string address;
  int pid = 0;
  std::unique_ptr<Client> client;
};

Shim start(const TempDir& tmp, const std::string& bundle, const std::string& id,
           const std::string& binary = shim_binary()) {
  RunResult r = run({binary, "-namespace", "testns", "-address", tmp.path() + "/containerd.sock", "-id", id,
                     "-debug", "start"},
                    bundle, {"WASIPOOL_SHIM_SOCKET_DIR=" + tmp.path() + "/s", "TTRPC_ADDRESS=" + tmp.path() + "/ev.sock"});
  Shim s;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  s.address = r.out;
  std::string err;
  s.client = Client::connect(s.address, &err);
  EXPECT_TRUE(s.client) << err;
  if (s.client) {
    v2::ConnectRequest req;
    v2::ConnectResponse resp;
    if (call(*s.client, "Connect", req, &resp).ok()) s.pid = static_cast<int>(resp.shim_pid());
    remember_daemon(s.pid);
  }
  return s;
}

v2::CreateTaskRequest create_request(const std::string& id, const std::string& bundle, const std::string& out) {
  v2::CreateTaskRequest req;
  req.set_id(id);
  req.set_bundle(bundle);
  req.set_stdout("file://" + out);
  return req;
}

}  // namespace

TEST(TaskService, LifecycleAsContainerdDrivesIt) {
  TempDir tmp;
  FakeEvents events(tmp.path() + "/ev.sock");
  std::string bundle = make_wasm_bundle(tmp, "t1", guest("exit_with"), ",\"3\",\"hello\"");
  Shim s = start(tmp, bundle, "t1");
  ASSERT_TRUE(s.client);
  Client& c = *s.client;

  v2::CreateTaskResponse created;
  auto st = call(c, "Create", create_request("t1", bundle, tmp.path() + "/out.txt"), &created);
  ASSERT_TRUE(st.ok()) << st.message;
  ASSERT_GT(created.pid(), 0u);
  st = call(c, "Create", create_request("t1", bundle, tmp.path() + "/out.txt"), &created);
  EXPECT_EQ(st.code, Code::kAlreadyExists) << st.message;

  v2::ConnectRequest cr;
  cr.set_id("t1");
  v2::ConnectResponse conn;
  ASSERT_TRUE(call(c, "Connect", cr, &conn).ok());
  EXPECT_EQ(conn.task_pid(), created.pid()) << "containerd takes the task pid from Connect";

  v2::StateRequest sr;
  sr.set_id("t1");
  v2::StateResponse state;
  ASSERT_TRUE(call(c, "State", sr, &state).ok());
  EXPECT_EQ(state.status(), containerd::v1::types::CREATED);
  EXPECT_EQ(state.id(), "t1");
  EXPECT_EQ(state.bundle(), bundle);
  EXPECT_FALSE(state.has_exited_at()) << "no exit fields before the process exited";

  // Wait goes out before Start, on its own connection, as containerd does; it must block until the exit.
  auto waiter = std::async(std::launch::async, [&] {
    std::string err;
    auto wc = Client::connect(s.address, &err);
    v2::WaitRequest wr;
    wr.set_id("t1");
    v2::WaitResponse w;
    Status ws = wc ? call(*wc, "Wait", wr, &w, 60'000'000'000) : Status::Error(Code::kUnavailable, err);
    return std::make_pair(ws, w);
  });
  v2::StartRequest start_req;
  start_req.set_id("t1");
  v2::StartResponse started;
  ASSERT_TRUE(call(c, "Start", start_req, &started).ok());
  EXPECT_EQ(started.pid(), created.pid());
  auto [wst, waited] = waiter.get();
  ASSERT_TRUE(wst.ok()) << wst.message;
  EXPECT_EQ(waited.exit_status(), 3u);
  EXPECT_GT(waited.exited_at().seconds(), 1'600'000'000);

  ASSERT_TRUE(call(c, "State", sr, &state).ok());
  EXPECT_EQ(state.status(), containerd::v1::types::STOPPED);
  EXPECT_EQ(state.exit_status(), 3u);
  EXPECT_EQ(state.exited_at().seconds(), waited.exited_at().seconds());
  EXPECT_EQ(state.exited_at().nanos(), waited.exited_at().nanos());

  v2::KillRequest kr;
  kr.set_id("t1");
  kr.set_signal(SIGKILL);
  wasipool::wire::Empty empty;
  EXPECT_EQ(call(c, "Kill", kr, &empty).code, Code::kNotFound) << "CRI relies on NOT_FOUND after exit";

  // Shutdown while the task exists: the shim must stay.
  v2::ShutdownRequest shr;
  shr.set_id("t1");
  ASSERT_TRUE(call(c, "Shutdown", shr, &empty).ok());
  ASSERT_TRUE(call(c, "Connect", cr, &conn).ok()) << "the shim exited with a task left";

  v2::DeleteRequest dr;
  dr.set_id("t1");
  v2::DeleteResponse deleted;
  ASSERT_TRUE(call(c, "Delete", dr, &deleted).ok());
  EXPECT_EQ(deleted.pid(), created.pid());
  EXPECT_EQ(deleted.exit_status(), 3u);
  EXPECT_EQ(call(c, "State", sr, &state).code, Code::kNotFound);
  EXPECT_EQ(call(c, "Delete", dr, &deleted).code, Code::kNotFound);
  EXPECT_EQ(read_file(tmp.path() + "/out.txt"), "3 hello\n");

  auto evs = events.wait_for(4);
  ASSERT_EQ(evs.size(), 4u);
  const char* topics[] = {"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"};
  const char* types[] = {"containerd.events.TaskCreate", "containerd.events.TaskStart", "containerd.events.TaskExit",
                         "containerd.events.TaskDelete"};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(evs[i].topic, topics[i]);
    EXPECT_EQ(evs[i].type_url, types[i]) << "bare type URL";
    EXPECT_EQ(evs[i].ns, "testns");
    EXPECT_EQ(evs[i].ns_metadata, "testns");
  }
  containerd::events::TaskExit exit_ev;
  ASSERT_TRUE(exit_ev.ParseFromString(evs[2].value));
  EXPECT_EQ(exit_ev.container_id(), "t1");
  EXPECT_EQ(exit_ev.id(), "t1");
  EXPECT_EQ(exit_ev.pid(), created.pid());
  EXPECT_EQ(exit_ev.exit_status(), 3u);
  EXPECT_EQ(exit_ev.exited_at().seconds(), waited.exited_at().seconds());

  ASSERT_TRUE(call(c, "Shutdown", shr, &empty).ok() || true);
  EXPECT_TRUE(wait_gone(conn.shim_pid())) << "no task left: Shutdown must end the shim";
}

TEST(TaskService, KillRunningTaskAndPodSharesOneShim) {
  TempDir tmp;
  FakeEvents events(tmp.path() + "/ev.sock");
  std::string pod = "\"io.kubernetes.cri.sandbox-id\":\"pod\"";
  std::string b1 = make_wasm_bundle(tmp, "a", guest("sleep_forever"), "", pod);
  std::string b2 = make_wasm_bundle(tmp, "b", guest("exit_with"), ",\"0\"", pod);
  Shim s1 = start(tmp, b1, "a");
  Shim s2 = start(tmp, b2, "b");
  ASSERT_TRUE(s1.client && s2.client);
  ASSERT_EQ(s1.address, s2.address);
  Client& c = *s1.client;
  v2::CreateTaskResponse ca, cb;
  ASSERT_TRUE(call(c, "Create", create_request("a", b1, tmp.path() + "/a.txt"), &ca).ok());
  ASSERT_TRUE(call(*s2.client, "Create", create_request("b", b2, tmp.path() + "/b.txt"), &cb).ok());
  v2::StartRequest sa;
  sa.set_id("a");
  v2::StartResponse started;
  ASSERT_TRUE(call(c, "Start", sa, &started).ok());

  v2::StateRequest sr;
  sr.set_id("a");
  v2::StateResponse state;
  ASSERT_TRUE(call(c, "State", sr, &state).ok());
  EXPECT_EQ(state.status(), containerd::v1::types::RUNNING);
  EXPECT_EQ(state.exit_status(), 0u);
  EXPECT_FALSE(state.has_exited_at());
  v2::PidsRequest pr;
  pr.set_id("a");
  v2::PidsResponse pids;
  ASSERT_TRUE(call(c, "Pids", pr, &pids).ok());
  ASSERT_GE(pids.processes_size(), 1);

  // Delete of a running task is refused; SIGKILL ends it with 128+9.
  v2::DeleteRequest dr;
  dr.set_id("a");
  v2::DeleteResponse deleted;
  EXPECT_FALSE(call(c, "Delete", dr, &deleted).ok());
  v2::KillRequest kr;
  kr.set_id("a");
  kr.set_signal(SIGKILL);
  wasipool::wire::Empty empty;
  ASSERT_TRUE(call(c, "Kill", kr, &empty).ok());
  v2::WaitRequest wr;
  wr.set_id("a");
  v2::WaitResponse w;
  ASSERT_TRUE(call(c, "Wait", wr, &w, 60'000'000'000).ok());
  EXPECT_EQ(w.exit_status(), 137u);
  ASSERT_TRUE(call(c, "Delete", dr, &deleted).ok());
  EXPECT_EQ(deleted.exit_status(), 137u);

  // "a" is gone but "b" (never started) remains: Shutdown keeps the pod's shim up.
  v2::ShutdownRequest shr;
  shr.set_id("a");
  ASSERT_TRUE(call(c, "Shutdown", shr, &empty).ok());
  v2::ConnectRequest cr;
  cr.set_id("b");
  v2::ConnectResponse conn;
  ASSERT_TRUE(call(c, "Connect", cr, &conn).ok());
  EXPECT_EQ(conn.task_pid(), cb.pid());

  dr.set_id("b");
  kr.set_id("b");
  call(c, "Kill", kr, &empty);  // a created-but-never-started task is killed before delete, as CRI does
  wr.set_id("b");
  ASSERT_TRUE(call(c, "Wait", wr, &w, 60'000'000'000).ok());
  ASSERT_TRUE(call(c, "Delete", dr, &deleted).ok());
  shr.set_id("b");
  call(c, "Shutdown", shr, &empty);
  EXPECT_TRUE(wait_gone(conn.shim_pid()));

  // Events: a's exit comes after a's start and before a's delete; b's exit (never started) before b's delete.
  auto evs = events.wait_for(7);
  std::vector<std::string> seq;
  for (const auto& e : evs) {
    std::string who;
    if (e.topic == "/tasks/create") {
      containerd::events::TaskCreate x;
      x.ParseFromString(e.value);
      who = x.container_id();
    } else if (e.topic == "/tasks/start") {
      containerd::events::TaskStart x;
      x.ParseFromString(e.value);
      who = x.container_id();
    } else if (e.topic == "/tasks/exit") {
      containerd::events::TaskExit x;
      x.ParseFromString(e.value);
      who = x.container_id();
    } else if (e.topic == "/tasks/delete") {
      containerd::events::TaskDelete x;
      x.ParseFromString(e.value);
      who = x.container_id();
    }
    seq.push_back(who + e.topic);
  }
  std::vector<std::string> want = {"a/tasks/create", "b/tasks/create", "a/tasks/start", "a/tasks/exit",
                                   "a/tasks/delete", "b/tasks/exit", "b/tasks/delete"};
  EXPECT_EQ(seq, want);
}

// containerd deletes a task that never started (a failed `ctr run`, a pod whose setup failed): the held init
// must be killed, Delete must succeed, and the exit still goes out before the delete.
TEST(TaskService, DeleteBeforeStart) {
  TempDir tmp;
  FakeEvents events(tmp.path() + "/ev.sock");
  std::string bundle = make_wasm_bundle(tmp, "n1", guest("exit_with"), ",\"0\"");
  Shim s = start(tmp, bundle, "n1");
  ASSERT_TRUE(s.client);
  v2::CreateTaskResponse created;
  ASSERT_TRUE(call(*s.client, "Create", create_request("n1", bundle, tmp.path() + "/n1.txt"), &created).ok());
  v2::DeleteRequest dr;
  dr.set_id("n1");
  v2::DeleteResponse deleted;
  auto st = call(*s.client, "Delete", dr, &deleted);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(deleted.pid(), created.pid());
  EXPECT_EQ(read_file(tmp.path() + "/n1.txt"), "") << "a task deleted before Start must never have run";
  v2::ShutdownRequest shr;
  shr.set_id("n1");
  wasipool::wire::Empty empty;
  call(*s.client, "Shutdown", shr, &empty);
  EXPECT_TRUE(wait_gone(s.pid));
  auto evs = events.wait_for(3);
  std::vector<std::string> topics;
  for (const auto& e : evs) topics.push_back(e.topic);
  EXPECT_EQ(topics, (std::vector<std::string>{"/tasks/create", "/tasks/exit", "/tasks/delete"}));
}

// The shim binary holds no engine: wasm workloads run in the `wasipool` CLI installed beside it. Installed
// alone, it must refuse Create with a message that says what is missing, not fail obscurely at exec.
TEST(TaskService, CreateSaysWhenTheCliIsNotBesideTheShim) {
  TempDir tmp;
  FakeEvents events(tmp.path() + "/ev.sock");
  const std::string bin = tmp.path() + "/bin";
  mkdir(bin.c_str(), 0755);
  char real[4096];
  ssize_t n = readlink(shim_binary().c_str(), real, sizeof real - 1);
  ASSERT_GT(n, 0) << shim_binary() << " should be the build's symlink to wasipool-shim";
  std::string target(real, static_cast<size_t>(n));
  if (target[0] != '/') target = shim_binary().substr(0, shim_binary().rfind('/') + 1) + target;
  write_file(bin + "/wasipool-shim", read_file(target));
  chmod((bin + "/wasipool-shim").c_str(), 0755);
  ASSERT_EQ(symlink("wasipool-shim", (bin + "/containerd-shim-wasm-v1").c_str()), 0);

  std::string bundle = make_wasm_bundle(tmp, "alone", guest("exit_with"), ",\"0\"");
  Shim s = start(tmp, bundle, "alone", bin + "/containerd-shim-wasm-v1");
  ASSERT_TRUE(s.client);
  v2::CreateTaskResponse created;
  auto st = call(*s.client, "Create", create_request("alone", bundle, tmp.path() + "/alone.txt"), &created);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message.find("no executable `wasipool` beside this shim binary"), std::string::npos) << st.message;
  // Nothing is left mounted or running, and the shim still answers and exits when asked.
  v2::ShutdownRequest shr;
  shr.set_id("alone");
  wasipool::wire::Empty empty;
  call(*s.client, "Shutdown", shr, &empty);
  EXPECT_TRUE(wait_gone(s.pid));
}
