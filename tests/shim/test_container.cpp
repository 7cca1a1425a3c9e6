// Container (src/shim/container.h) on hand-made bundles, as root, with the real wasipool binary as the
// workload (WASIPOOL_SHIM_SELF) and Debian's runc for ELF entrypoints: exit codes, stdio, kill, OOM under
// a 32 MiB memory cgroup, cgroup Metrics, and that cleanup leaves no process, mount or cgroup behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "metrics_v1.pb.h"
#include "metrics_v2.pb.h"
#include "shim/container.h"
#include "shim/reaper.h"

namespace fs = std::filesystem;
using nlohmann::json;
using wasipool::shim::Container;
using wasipool::shim::ExitInfo;
using wasipool::shim::Flavour;
using wasipool::shim::MountSpec;
using wasipool::shim::ProcessState;
using wasipool::shim::ProcessStatus;
using wasipool::shim::StdioSpec;
using wasipool::ttrpc::Code;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_mount_point(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string a, b, c, root, mp;
    ss >> a >> b >> c >> root >> mp;
    if (mp == path) return true;
  }
  return false;
}

bool pid_running(uint32_t pid) {
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  size_t rp = stat.rfind(')');
  return rp != std::string::npos && stat[rp + 2] != 'Z';
}

// Every mounted cgroup hierarchy (v1: one per controller, plus the unified one of a hybrid host).
std::vector<std::string> cgroup_roots() {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    size_t sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    std::istringstream head(line.substr(0, sep)), tail(line.substr(sep + 3));
    std::string a, b, c, root, mp, fstype;
    head >> a >> b >> c >> root >> mp;
    tail >> fstype;
    if (fstype == "cgroup" || fstype == "cgroup2") out.push_back(mp);
  }
  return out;
}

// The container's cgroup directory in any hierarchy, or "" when none is left.
std::string leftover_cgroup(const std::string& rel) {
  for (const auto& root : cgroup_roots())
    if (fs::exists(root + rel)) return root + rel;
  return "";
}

bool cgroup_v2() { return fs::exists("/sys/fs/cgroup/cgroup.controllers"); }

std::string memory_cgroup_dir(const std::string& rel) {
  return cgroup_v2() ? "/sys/fs/cgroup" + rel : "/sys/fs/cgroup/memory" + rel;
}

class ContainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Root is required (mounts, cgroups, runc): fail loudly rather than skip.
    ASSERT_EQ(::geteuid(), 0u) << "the Container tests need root";
    ::setenv("WASIPOOL_SHIM_SELF", WASIPOOL_BINARY, 1);
    char tmpl[] = "/tmp/wpct-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::setenv("WASIPOOL_RUNC_ROOT", (dir_ + "/runc").c_str(), 1);
    ns_ = "wpct" + std::to_string(::getpid());
    wasipool::shim::start_process_monitor();
  }
  void TearDown() override {
    for (auto& [id, bundle] : bundles_) {
      uint32_t pid = 0;
      ExitInfo e;
      Container::cleanup_bundle(ns_, id, bundle, &pid, &e);
    }
    // Every leaf must already be gone (the tests check); what is left is the /<ns> parent that we
    // (memory/cpu/cpuacct/pids) and runc (every hierarchy) created: remove it in each hierarchy.
    std::error_code ec;
    for (const auto& root : cgroup_roots()) fs::remove(root + "/" + ns_, ec);
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // A bundle whose rootfs is a bind mount of src/ (holding the guest) onto bundle/rootfs.
  std::string make_bundle(const std::string& id, json process, json resources = json::object(),
                          bool with_mount = true) {
    std::string bundle = dir_ + "/" + id;
    fs::create_directories(bundle + "/rootfs");
    fs::create_directories(dir_ + "/src");
    fs::copy_file(WASIPOOL_GUEST, dir_ + "/src/guest.wasm", fs::copy_options::skip_existing);
    json spec = {{"ociVersion", "1.0.2"},
                 {"process", process},
                 {"root", {{"path", "rootfs"}}},
                 {"linux", {{"cgroupsPath", "/" + ns_ + "/" + id}, {"resources", resources}}}};
    std::ofstream(bundle + "/config.json") << spec.dump(2);
    bundles_.emplace_back(id, bundle);
    mounts_ = {};
    if (with_mount) mounts_.push_back(MountSpec{"bind", dir_ + "/src", "", {"rbind", "ro"}});
    return bundle;
  }

  // A busybox-static rootfs (bind-mounted): /bin/sh is an ELF, so the shim must hand the bundle to runc.
  std::string make_runc_bundle(const std::string& id, std::vector<std::string> args) {
    std::string bundle = dir_ + "/" + id;
    fs::create_directories(bundle + "/rootfs");
    std::string src = dir_ + "/elfsrc";
    if (!fs::exists(src)) {
      fs::create_directories(src + "/bin");
      fs::create_directories(src + "/proc");
      fs::create_directories(src + "/dev");
      fs::copy_file("/bin/busybox", src + "/bin/busybox");
      for (const char* applet : {"sh", "sleep", "echo"}) fs::create_symlink("busybox", src + "/bin/" + applet);
    }
    bundles_.emplace_back(id, bundle);
    // runc's default spec (namespaces, /proc, /dev ...), run through the reaper like every child of ours.
    std::string err;
    int status =
        wasipool::shim::reaper::run_sync({"/usr/sbin/runc", "spec", "--bundle", bundle}, -1, -1, -1, &err, &err);
    EXPECT_EQ(status, 0) << err;
    json spec = json::parse(slurp(bundle + "/config.json"));
    spec["process"]["terminal"] = false;
    spec["process"]["args"] = args;
    spec["process"]["env"] = {"PATH=/bin"};
    spec["root"] = {{"path", "rootfs"}, {"readonly", false}};
    spec["linux"]["cgroupsPath"] = "/" + ns_ + "/" + id;
    std::ofstream(bundle + "/config.json") << spec.dump(2);
    mounts_ = {MountSpec{"bind", src, "", {"rbind", "rw"}}};
    return bundle;
  }

  static json wasm_process(std::vector<std::string> args) {
    return {{"args", args}, {"env", {"PATH=/bin", "GREETING=world"}}, {"cwd", "/"}};
  }

  std::unique_ptr<Container> create(const std::string& id, const std::string& bundle, StdioSpec stdio = {},
                                    Flavour flavour = Flavour::kWasm) {
    std::unique_ptr<Container> c;
    auto st = Container::create(flavour, ns_, id, bundle, mounts_, stdio, &c);
    EXPECT_TRUE(st.ok()) << st.message;
    return c;
  }

  std::string dir_, ns_;
  std::vector<std::pair<std::string, std::string>> bundles_;
  std::vector<MountSpec> mounts_;
};

TEST_F(ContainerTest, WasmExitCodeStdoutAndCleanup) {
  std::string bundle = make_bundle("hello", wasm_process({"/guest.wasm", "hello", "7"}));
  std::string out = dir_ + "/out.log";
  auto c = create("hello", bundle, StdioSpec{"", "file://" + out, "file://" + out, false});
  ASSERT_TRUE(c);
  std::atomic<int> exits{0};
  std::atomic<uint32_t> exit_pid{0};
  c->on_exit([&](const std::string& exec_id, uint32_t pid, const ExitInfo&) {
    EXPECT_EQ(exec_id, "");
    exit_pid = pid;
    ++exits;
  });
  uint32_t pid = c->pid();
  ASSERT_GT(pid, 0u);
  EXPECT_TRUE(is_mount_point(bundle + "/rootfs"));
  EXPECT_TRUE(fs::exists(memory_cgroup_dir("/" + ns_ + "/hello")));
  ProcessState ps;
  ASSERT_TRUE(c->state("", &ps).ok());
  EXPECT_EQ(ps.status, ProcessStatus::kCreated);
  uint32_t started = 0;
  ASSERT_TRUE(c->start("", &started).ok());
  EXPECT_EQ(started, pid);
  ExitInfo e;
  ASSERT_TRUE(c->wait("", &e).ok());
  EXPECT_EQ(e.exit_status, 7u);
  EXPECT_FALSE(e.oom);
  EXPECT_GT(e.exited_at_sec, 0);
  std::string text = slurp(out);
  EXPECT_NE(text.find("hello world argc=3 argv0=/guest.wasm"), std::string::npos) << text;
  EXPECT_NE(text.find("to stderr"), std::string::npos) << text;
  ASSERT_TRUE(c->state("", &ps).ok());
  EXPECT_EQ(ps.status, ProcessStatus::kStopped);
  EXPECT_EQ(ps.exit.exit_status, 7u);
  EXPECT_EQ(c->kill("", SIGTERM, false).code, Code::kNotFound);
  ExitInfo d;
  ASSERT_TRUE(c->destroy(&d).ok());
  EXPECT_EQ(d.exit_status, 7u);
  EXPECT_EQ(exits.load(), 1);
  EXPECT_EQ(exit_pid.load(), pid);
  EXPECT_FALSE(is_mount_point(bundle + "/rootfs"));
  EXPECT_EQ(leftover_cgroup("/" + ns_ + "/hello"), "");
  EXPECT_FALSE(pid_running(pid));
  uint32_t cpid = 1;
  ExitInfo ce;
  EXPECT_TRUE(Container::cleanup_bundle(ns_, "hello", bundle, &cpid, &ce).ok());
  EXPECT_EQ(cpid, 0u);  // already cleaned: nothing to report
}

TEST_F(ContainerTest, NothingRunsBeforeStartAndKillBeforeStart) {
  std::string bundle = make_bundle("held", wasm_process({"/guest.wasm", "hello", "0"}));
  std::string out = dir_ + "/held.log";
  auto c = create("held", bundle, StdioSpec{"", "file://" + out, "", false});
  ASSERT_TRUE(c);
  ASSERT_TRUE(pid_running(c->pid()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(slurp(out), "");  // held at the gate: the guest has not run
  ASSERT_TRUE(c->kill("", SIGKILL, false).ok());
  ExitInfo e;
  ASSERT_TRUE(c->wait("", &e).ok());
  EXPECT_EQ(e.exit_status, 137u);
  EXPECT_EQ(slurp(out), "");
  ASSERT_TRUE(c->destroy(&e).ok());
}

TEST_F(ContainerTest, DestroyBeforeStartKillsTheHeldInit) {
  std::string bundle = make_bundle("never", wasm_process({"/guest.wasm", "hello", "0"}));
  auto c = create("never", bundle);
  ASSERT_TRUE(c);
  uint32_t pid = c->pid();
  ExitInfo e;
  ASSERT_TRUE(c->destroy(&e).ok());
  EXPECT_FALSE(pid_running(pid));
  EXPECT_FALSE(is_mount_point(bundle + "/rootfs"));
}

TEST_F(ContainerTest, KillTermThenKillAll) {
  std::string bundle = make_bundle("term", wasm_process({"/guest.wasm", "sleep"}));
  auto c = create("term", bundle);
  ASSERT_TRUE(c);
  uint32_t pid = 0;
  ASSERT_TRUE(c->start("", &pid).ok());
  ProcessState ps;
  ASSERT_TRUE(c->state("", &ps).ok());
  EXPECT_EQ(ps.status, ProcessStatus::kRunning);
  std::vector<uint32_t> pids;
  ASSERT_TRUE(c->pids(&pids).ok());
  EXPECT_NE(std::find(pids.begin(), pids.end(), pid), pids.end());
  ASSERT_TRUE(c->kill("", SIGTERM, false).ok());
  ExitInfo e;
  ASSERT_TRUE(c->wait("", &e).ok());
  EXPECT_EQ(e.exit_status, 143u);
  EXPECT_EQ(c->kill("", SIGKILL, false).code, Code::kNotFound);
  EXPECT_EQ(c->destroy(&e).code, Code::kOk);

  std::string b2 = make_bundle("killall", wasm_process({"/guest.wasm", "sleep"}));
  auto c2 = create("killall", b2);
  ASSERT_TRUE(c2);
  ASSERT_TRUE(c2->start("", &pid).ok());
  EXPECT_EQ(c2->destroy(&e).code, Code::kFailedPrecondition);  // still running
  ASSERT_TRUE(c2->kill("", SIGKILL, true).ok());
  ASSERT_TRUE(c2->wait("", &e).ok());
  EXPECT_EQ(e.exit_status, 137u);
  EXPECT_FALSE(e.oom);
  ASSERT_TRUE(c2->destroy(&e).ok());
  EXPECT_FALSE(fs::exists(memory_cgroup_dir("/" + ns_ + "/killall")));
}

TEST_F(ContainerTest, OomKillUnder32MiB) {
  std::string bundle =
      make_bundle("oom", wasm_process({"/guest.wasm", "oom"}), json{{"memory", {{"limit", 32 << 20}}}});
  std::string out = dir_ + "/oom.log";
  auto c = create("oom", bundle, StdioSpec{"", "file://" + out, "", false});
  ASSERT_TRUE(c);
  std::atomic<int> ooms{0};
  c->on_oom([&] { ++ooms; });
  std::string limit = slurp(memory_cgroup_dir("/" + ns_ + "/oom") +
                            (cgroup_v2() ? "/memory.max" : "/memory.limit_in_bytes"));
  EXPECT_EQ(std::stoll(limit), 32ll << 20);
  uint32_t pid = 0;
  ASSERT_TRUE(c->start("", &pid).ok());
  ExitInfo e;
  ASSERT_TRUE(c->wait("", &e).ok());
  EXPECT_EQ(e.exit_status, 137u) << slurp(out);
  EXPECT_TRUE(e.oom);
  EXPECT_EQ(ooms.load(), 1);
  ASSERT_TRUE(c->destroy(&e).ok());
}

TEST_F(ContainerTest, StatsAreCgroupMetrics) {
  std::string bundle = make_bundle("stats", wasm_process({"/guest.wasm", "sleep"}),
                                   json{{"memory", {{"limit", 64 << 20}}}, {"cpu", {{"shares", 512}}}});
  auto c = create("stats", bundle);
  ASSERT_TRUE(c);
  uint32_t pid = 0;
  ASSERT_TRUE(c->start("", &pid).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the runtime load the module
  std::string url, value;
  auto st = c->stats(&url, &value);
  ASSERT_TRUE(st.ok()) << st.message;
  if (url == "io.containerd.cgroups.v1.Metrics") {
    io::containerd::cgroups::v1::Metrics m;
    ASSERT_TRUE(m.ParseFromString(value));
    EXPECT_GT(m.memory().usage().usage(), 0u);
    EXPECT_EQ(m.memory().usage().limit(), uint64_t{64} << 20);
    EXPECT_GT(m.cpu().usage().total(), 0u);
    EXPECT_GE(m.pids().current(), 1u);
  } else {
    ASSERT_EQ(url, "io.containerd.cgroups.v2.Metrics");
    io::containerd::cgroups::v2::Metrics m;
    ASSERT_TRUE(m.ParseFromString(value));
    EXPECT_GT(m.memory().usage(), 0u);
    EXPECT_EQ(m.memory().usage_limit(), uint64_t{64} << 20);
    EXPECT_GE(m.pids().current(), 1u);
  }
  ASSERT_TRUE(c->update(R"({"memory":{"limit":100663296}})").ok());
  EXPECT_EQ(std::stoll(slurp(memory_cgroup_dir("/" + ns_ + "/stats") +
                             (cgroup_v2() ? "/memory.max" : "/memory.limit_in_bytes"))),
            96ll << 20);
  EXPECT_EQ(c->update("{\"memory\":").code, Code::kInvalidArgument);
  ASSERT_TRUE(c->kill("", SIGKILL, true).ok());
  ExitInfo e;
  ASSERT_TRUE(c->wait("", &e).ok());
  ASSERT_TRUE(c->destroy(&e).ok());
  EXPECT_EQ(c->stats(&url, &value).code, Code::kNotFound);
}

TEST_F(ContainerTest, FifoStdioReachesEofAfterExit) {
  std::string bundle = make_bundle("fifo", wasm_process({"/guest.wasm", "hello", "0"}));
  std::string fifo = dir_ + "/fifo-stdout";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int rd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // as containerd's cio does before Create
  ASSERT_GE(rd, 0);
  auto c = create("fifo", bundle, StdioSpec{"", fifo, "", false});
  ASSERT_TRUE(c);
  ::fcntl(rd, F_SETFL, 0);
  uint32_t pid = 0;
  ASSERT_TRUE(c->start("", &pid).ok());
  std::string got;
  char buf[256];
  ssize_t n;
  while ((n = ::read(rd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));  // ends at EOF
  ::close(rd);
  EXPECT_NE(got.find("hello world"), std::string::npos) << got;
  ExitInfo e;
  ASSERT_TRUE(c->wait("", &e).ok());
  EXPECT_EQ(e.exit_status, 0u);
  ASSERT_TRUE(c->destroy(&e).ok());
}

TEST_F(ContainerTest, BadBundlesAreInvalidArgumentAndLeaveNothing) {
  std::string bundle = make_bundle("bad", wasm_process({"/guest.wasm"}));
  std::ofstream(bundle + "/config.json") << "{\"process\": {\"args\": [1]}}";
  std::unique_ptr<Container> c;
  auto st = Container::create(Flavour::kWasm, ns_, "bad", bundle, mounts_, {}, &c);
  EXPECT_EQ(st.code, Code::kInvalidArgument);
  EXPECT_NE(st.message.find("config.json: process.args[0]"), std::string::npos) << st.message;
  EXPECT_FALSE(is_mount_point(bundle + "/rootfs"));

  std::ofstream(dir_ + "/src/notes.txt") << "plain text";
  std::string b2 = make_bundle("notwasm", wasm_process({"/notes.txt"}));
  st = Container::create(Flavour::kWasm, ns_, "notwasm", b2, mounts_, {}, &c);
  EXPECT_EQ(st.code, Code::kInvalidArgument);
  EXPECT_NE(st.message.find("\"/notes.txt\""), std::string::npos) << st.message;
  EXPECT_NE(st.message.find("not a wasm module"), std::string::npos) << st.message;
  EXPECT_FALSE(is_mount_point(b2 + "/rootfs"));
  EXPECT_FALSE(fs::exists(b2 + "/wasipool-state.json"));

  std::string b3 = make_bundle("nospin", wasm_process({"/"}));
  st = Container::create(Flavour::kSpin, ns_, "nospin", b3, mounts_, {}, &c);
  EXPECT_EQ(st.code, Code::kInvalidArgument);
  EXPECT_NE(st.message.find("spin.toml"), std::string::npos) << st.message;
}

TEST_F(ContainerTest, CleanupBundleKillsARunningContainer) {
  std::string bundle = make_bundle("crash", wasm_process({"/guest.wasm", "sleep"}));
  auto c = create("crash", bundle);
  ASSERT_TRUE(c);
  uint32_t pid = 0;
  ASSERT_TRUE(c->start("", &pid).ok());
  // The `delete` action after a daemon crash: only the bundle is known.
  uint32_t cpid = 0;
  ExitInfo e;
  auto st = Container::cleanup_bundle(ns_, "crash", bundle, &cpid, &e);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(cpid, pid);
  EXPECT_EQ(e.exit_status, 137u);
  EXPECT_FALSE(is_mount_point(bundle + "/rootfs"));
  EXPECT_EQ(leftover_cgroup("/" + ns_ + "/crash"), "");
  ExitInfo w;
  ASSERT_TRUE(c->wait("", &w).ok());
  EXPECT_FALSE(pid_running(pid));
  st = Container::cleanup_bundle(ns_, "crash", bundle, &cpid, &e);
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(cpid, 0u);
}

TEST_F(ContainerTest, ElfEntrypointRunsUnderRunc) {
  std::string bundle = make_runc_bundle("elf", {"sh", "-c", "echo hi from runc; exit 3"});
  std::string out = dir_ + "/elf.log";
  auto c = create("elf", bundle, StdioSpec{"", "file://" + out, "file://" + out, false});
  ASSERT_TRUE(c);
  uint32_t pid = c->pid();
  ASSERT_GT(pid, 0u);
  uint32_t started = 0;
  ASSERT_TRUE(c->start("", &started).ok());
  EXPECT_EQ(started, pid);
  ExitInfo e;
  ASSERT_TRUE(c->wait("", &e).ok());
  EXPECT_EQ(e.exit_status, 3u) << slurp(out);
  EXPECT_NE(slurp(out).find("hi from runc"), std::string::npos);
  EXPECT_EQ(c->exec("x", {}, "{}").code, Code::kFailedPrecondition);  // the container has exited
  ASSERT_TRUE(c->destroy(&e).ok());
  EXPECT_FALSE(is_mount_point(bundle + "/rootfs"));
  EXPECT_FALSE(fs::exists(dir_ + "/runc/" + ns_ + "/elf"));  // runc's state is gone
  EXPECT_EQ(leftover_cgroup("/" + ns_ + "/elf"), "");
}

TEST_F(ContainerTest, ExecIsUnimplementedForWasm) {
  std::string bundle = make_bundle("noexec", wasm_process({"/guest.wasm", "sleep"}));
  auto c = create("noexec", bundle);
  ASSERT_TRUE(c);
  auto st = c->exec("e1", {}, "{}");
  EXPECT_EQ(st.code, Code::kUnimplemented);
  EXPECT_NE(st.message.find("wasm"), std::string::npos);
  ExitInfo e;
  ASSERT_TRUE(c->destroy(&e).ok());
}

}  // namespace

namespace {

TEST_F(ContainerTest, RuncKillExecAndCrashCleanup) {
  std::string bundle = make_runc_bundle("rk", {"sleep", "100"});
  auto c = create("rk", bundle);
  ASSERT_TRUE(c);
  uint32_t pid = 0;
  ASSERT_TRUE(c->start("", &pid).ok());
  std::string out = dir_ + "/exec.log";
  json proc = {{"args", {"echo", "exec-ok"}}, {"env", {"PATH=/bin"}}, {"cwd", "/"}, {"terminal", false},
               {"user", {{"uid", 0}, {"gid", 0}}}};
  ASSERT_TRUE(c->exec("e1", StdioSpec{"", "file://" + out, "", false}, proc.dump()).ok());
  EXPECT_EQ(c->exec("e1", {}, proc.dump()).code, Code::kAlreadyExists);
  uint32_t epid = 0;
  auto st = c->start("e1", &epid);
  ASSERT_TRUE(st.ok()) << st.message;
  ExitInfo e;
  ASSERT_TRUE(c->wait("e1", &e).ok());
  EXPECT_EQ(e.exit_status, 0u);
  EXPECT_EQ(slurp(out), "exec-ok\n");
  ASSERT_TRUE(c->delete_exec("e1", &e).ok());
  ProcessState gone;
  EXPECT_EQ(c->state("e1", &gone).code, Code::kNotFound);
  // PID 1 of a pid namespace ignores SIGTERM without a handler: SIGKILL through runc kill --all.
  ASSERT_TRUE(c->kill("", SIGKILL, true).ok());
  ASSERT_TRUE(c->wait("", &e).ok());
  EXPECT_EQ(e.exit_status, 137u);
  EXPECT_EQ(c->kill("", SIGKILL, false).code, Code::kNotFound);
  ASSERT_TRUE(c->destroy(&e).ok());
  EXPECT_EQ(leftover_cgroup("/" + ns_ + "/rk"), "");

  // A daemon crash: the `delete` action cleans a running runc container from the bundle alone.
  std::string b2 = make_runc_bundle("rcrash", {"sleep", "100"});
  auto c2 = create("rcrash", b2);
  ASSERT_TRUE(c2);
  ASSERT_TRUE(c2->start("", &pid).ok());
  uint32_t cpid = 0;
  st = Container::cleanup_bundle(ns_, "rcrash", b2, &cpid, &e);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(cpid, pid);
  EXPECT_EQ(e.exit_status, 137u);
  ASSERT_TRUE(c2->wait("", &e).ok());
  EXPECT_FALSE(pid_running(pid));
  EXPECT_FALSE(is_mount_point(b2 + "/rootfs"));
  EXPECT_FALSE(fs::exists(dir_ + "/runc/" + ns_ + "/rcrash"));
  EXPECT_EQ(leftover_cgroup("/" + ns_ + "/rcrash"), "");
}

}  // namespace

namespace {

TEST_F(ContainerTest, JoinsTheSpecNetworkNamespace) {
  // Under CRI the pod's netns comes as a path; the workload must live in it (a spin server binds there).
  std::string netns = "wpct-net-" + std::to_string(::getpid());
  std::string err;
  ASSERT_EQ(wasipool::shim::reaper::run_sync({"/usr/sbin/ip", "netns", "add", netns}, -1, -1, -1, &err, &err), 0)
      << err;
  std::string path = "/var/run/netns/" + netns;
  std::string bundle = make_bundle("netns", wasm_process({"/guest.wasm", "sleep"}));
  json spec = json::parse(slurp(bundle + "/config.json"));
  spec["linux"]["namespaces"] = {{{"type", "pid"}}, {{"type", "network"}, {"path", path}}};
  std::ofstream(bundle + "/config.json") << spec.dump(2);
  auto c = create("netns", bundle);
  if (c) {
    struct stat want, got, host;
    ASSERT_EQ(::stat(path.c_str(), &want), 0);
    ASSERT_EQ(::stat(("/proc/" + std::to_string(c->pid()) + "/ns/net").c_str(), &got), 0);
    ASSERT_EQ(::stat("/proc/self/ns/net", &host), 0);
    EXPECT_EQ(got.st_ino, want.st_ino);
    EXPECT_NE(got.st_ino, host.st_ino);
    ExitInfo e;
    ASSERT_TRUE(c->kill("", SIGKILL, false).ok());
    ASSERT_TRUE(c->wait("", &e).ok());
    ASSERT_TRUE(c->destroy(&e).ok());
  }
  wasipool::shim::reaper::run_sync({"/usr/sbin/ip", "netns", "del", netns}, -1, -1, -1, &err, &err);
}

TEST_F(ContainerTest, SystemdCgroupsPathIsExpanded) {
  std::string bundle = make_bundle("sd", wasm_process({"/guest.wasm", "hello", "0"}));
  json spec = json::parse(slurp(bundle + "/config.json"));
  std::string slice = ns_ + "-pod1.slice";
  spec["linux"]["cgroupsPath"] = slice + ":cri-containerd:sd";
  std::ofstream(bundle + "/config.json") << spec.dump(2);
  auto c = create("sd", bundle);
  ASSERT_TRUE(c);
  std::string rel = "/" + ns_ + ".slice/" + ns_ + "-pod1.slice/cri-containerd-sd.scope";
  EXPECT_TRUE(fs::exists(memory_cgroup_dir(rel))) << rel;
  uint32_t pid = 0;
  ASSERT_TRUE(c->start("", &pid).ok());
  ExitInfo e;
  ASSERT_TRUE(c->wait("", &e).ok());
  ASSERT_TRUE(c->destroy(&e).ok());
  EXPECT_EQ(leftover_cgroup(rel), "");
  std::error_code ec;
  for (const auto& root : cgroup_roots()) {
    fs::remove(root + "/" + ns_ + ".slice/" + ns_ + "-pod1.slice", ec);
    fs::remove(root + "/" + ns_ + ".slice", ec);
  }

  std::string b2 = make_bundle("sdbad", wasm_process({"/guest.wasm", "hello", "0"}));
  spec["linux"]["cgroupsPath"] = "notaslice:x:y";
  std::ofstream(b2 + "/config.json") << spec.dump(2);
  std::unique_ptr<Container> c2;
  auto st = Container::create(Flavour::kWasm, ns_, "sdbad", b2, mounts_, {}, &c2);
  EXPECT_EQ(st.code, Code::kInvalidArgument);
  EXPECT_NE(st.message.find("linux.cgroupsPath"), std::string::npos) << st.message;
}

}  // namespace

namespace {

TEST_F(ContainerTest, OomOfAChildIsAnnouncedWhileTheInitRuns) {
  // runc container, 32 MiB: a subshell grows a string until the OOM killer ends it; the init survives.
  std::string bundle = make_runc_bundle("room", {"sh", "-c", "( a=x; while true; do a=$a$a; done ); sleep 100"});
  json spec = json::parse(slurp(bundle + "/config.json"));
  spec["linux"]["resources"] = {{"memory", {{"limit", 32 << 20}}}};
  std::ofstream(bundle + "/config.json") << spec.dump(2);
  auto c = create("room", bundle);
  ASSERT_TRUE(c);
  std::mutex mu;
  std::condition_variable cv;
  int ooms = 0;
  c->on_oom([&] {
    std::lock_guard<std::mutex> lock(mu);
    ++ooms;
    cv.notify_all();
  });
  uint32_t pid = 0;
  ASSERT_TRUE(c->start("", &pid).ok());
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return ooms > 0; });
  }
  EXPECT_EQ(ooms, 1);
  ProcessState ps;
  ASSERT_TRUE(c->state("", &ps).ok());
  EXPECT_EQ(ps.status, ProcessStatus::kRunning);  // announced while the init still runs
  ASSERT_TRUE(c->kill("", SIGKILL, true).ok());
  ExitInfo e;
  ASSERT_TRUE(c->wait("", &e).ok());
  EXPECT_EQ(e.exit_status, 137u);
  EXPECT_EQ(ooms, 1);  // no second announcement at the exit
  ASSERT_TRUE(c->destroy(&e).ok());
}

}  // namespace
