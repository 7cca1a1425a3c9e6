// The shim binary contract through the real binary (containerd-shim-v2.md §2): Go-style flags, -v,
// `delete` on empty bundles, `start` daemonising (address on stdout, nothing on stderr, returns while the
// daemon keeps serving), grouping by sandbox id, stale sockets, Shutdown. No containerd needed: the
// tests play containerd's part with a ttrpc client.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>

#include <cstring>

#include "shim_test_util.h"
#include "task.pb.h"
#include "wire.pb.h"

using namespace shimtest;
namespace v2 = containerd::task::v2;
using wasipool::ttrpc::Client;
using wasipool::ttrpc::Code;

namespace {

std::vector<std::string> shim(std::vector<std::string> args) {
  args.insert(args.begin(), shim_binary());
  return args;
}

// A bundle directory with a config.json carrying `annotations` (a JSON object body).
std::string make_bundle(const TempDir& tmp, const std::string& name, const std::string& annotations = "") {
  std::string dir = tmp.path() + "/" + name;
  mkdir(dir.c_str(), 0711);
  mkdir((dir + "/rootfs").c_str(), 0755);
  write_file(dir + "/config.json",
             "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"/hello.wasm\"],\"cwd\":\"/\"},"
             "\"root\":{\"path\":\"rootfs\"},\"annotations\":{" + annotations + "}}");
  return dir;
}

struct Started {
  std::string address;
  int shim_pid = 0;
};

// Runs `start` for `id` in `bundle` and checks the contract of its output.
Started start_shim(const TempDir& tmp, const std::string& bundle, const std::string& id,
                   const std::string& ns = "default") {
  std::string sockdir = tmp.path() + "/s";
  RunResult r = run(shim({"-namespace", ns, "-address", tmp.path() + "/containerd.sock", "-publish-binary",
                          "/usr/bin/containerd", "-id", id, "start"}),
                    bundle, {"WASIPOOL_SHIM_SOCKET_DIR=" + sockdir, "TTRPC_ADDRESS="});
  Started s;
  EXPECT_FALSE(r.hung) << "start did not return / its daemon kept the output pipes open";
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "") << "containerd merges stderr into the address";
  EXPECT_EQ(r.out.rfind("unix://", 0), 0u) << r.out;
  s.address = r.out;
  EXPECT_EQ(read_file(bundle + "/address"), r.out) << "<bundle>/address must hold the same address";
  std::string err;
  auto c = Client::connect(s.address, &err);
  EXPECT_TRUE(c) << err;
  if (c) {
    v2::ConnectRequest req;
    req.set_id(id);
    v2::ConnectResponse resp;
    auto st = call(*c, "Connect", req, &resp);
    EXPECT_TRUE(st.ok()) << st.message;
    s.shim_pid = static_cast<int>(resp.shim_pid());
    remember_daemon(s.shim_pid);
  }
  return s;
}

void shutdown_shim(const Started& s, const std::string& id) {
  std::string err;
  auto c = Client::connect(s.address, &err);
  ASSERT_TRUE(c) << err;
  v2::ShutdownRequest req;
  req.set_id(id);
  wasipool::wire::Empty resp;
  auto st = call(*c, "Shutdown", req, &resp);
  // The daemon may close the connection right after answering; both outcomes mean "shut down".
  EXPECT_TRUE(st.ok() || st.code == Code::kUnavailable) << st.message;
  EXPECT_TRUE(wait_gone(s.shim_pid)) << "shim daemon " << s.shim_pid << " did not exit after Shutdown";
  struct stat sb;
  EXPECT_NE(stat(s.address.substr(7).c_str(), &sb), 0) << "socket file left behind: " << s.address;
}

}  // namespace

// Two binaries (src/shim/binary_main.cpp, src/cli/main.cpp): each started under the other's names says so.
TEST(Binaries, EachSaysWhichOneIsTheShim) {
  std::string dir = shim_binary().substr(0, shim_binary().rfind('/') + 1);
  RunResult shim_as_itself = run({dir + "wasipool-shim", "-v"});
  EXPECT_EQ(shim_as_itself.exit_code, 2);
  EXPECT_NE(shim_as_itself.err.find("runs as containerd-shim-spin-v1"), std::string::npos) << shim_as_itself.err;
  TempDir tmp;
  ASSERT_EQ(symlink((dir + "wasipool").c_str(), (tmp.path() + "/containerd-shim-wasm-v1").c_str()), 0);
  RunResult cli_as_shim = run({tmp.path() + "/containerd-shim-wasm-v1", "-v"});
  EXPECT_EQ(cli_as_shim.exit_code, 1);
  EXPECT_NE(cli_as_shim.err.find("the containerd shim is wasipool-shim"), std::string::npos) << cli_as_shim.err;
  EXPECT_EQ(cli_as_shim.out, "");
}

TEST(Flags, VersionInEveryGoForm) {
  for (auto form : {std::vector<std::string>{"-v"}, {"--v"}, {"-v=true"}, {"--v=1"},
                    {"-namespace", "x", "-v"}, {"--namespace=x", "-debug", "-v"}}) {
    RunResult r = run(shim(form));
    EXPECT_EQ(r.exit_code, 0) << form[0] << ": " << r.err;
    EXPECT_NE(r.out.find(WASIPOOL_VERSION_STRING), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("containerd-shim-wasm-v1"), std::string::npos) << r.out;
  }
}

TEST(Flags, BadFlagsGiveUsageAndExit2) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"-nosuch"}, "flag provided but not defined: -nosuch"},
      {{"--nosuch=1", "start"}, "flag provided but not defined: -nosuch"},
      {{"-namespace", "default", "-id"}, "flag needs an argument: -id"},
      {{"-debug=maybe", "start"}, "invalid boolean value \"maybe\" for -debug"},
      {{"---id", "x"}, "bad flag syntax: ---id"},
  };
  for (const auto& c : cases) {
    RunResult r = run(shim(c.args));
    EXPECT_EQ(r.exit_code, 2) << c.args[0];
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Usage of containerd-shim-wasm-v1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("-namespace string"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(Flags, UnknownActionExit2) {
  RunResult r = run(shim({"-namespace", "default", "-id", "x", "frobnicate"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown action \"frobnicate\""), std::string::npos) << r.err;
}

TEST(Delete, EmptyAndMissingBundlesPrintADeleteResponse) {
  TempDir tmp;
  std::string empty = tmp.path() + "/empty";
  mkdir(empty.c_str(), 0711);
  std::string missing = tmp.path() + "/never-created";
  // containerd's exact argv form, then the other Go spellings.
  std::vector<std::vector<std::string>> forms = {
      {"-namespace", "default", "-address", "/x/containerd.sock", "-publish-binary", "/usr/bin/containerd", "-id",
       "t1", "-bundle", empty, "delete"},
      {"--namespace=default", "--address=/x/containerd.sock", "--id=t1", "--bundle", empty, "delete"},
      {"-namespace=default", "-id", "t1", "-bundle=" + missing, "delete"},
      {"-namespace", "default", "-id", "t1", "delete"},  // bundle = cwd
  };
  for (const auto& f : forms) {
    for (int rep = 0; rep < 2; ++rep) {  // idempotent: the second run finds nothing to do either
      RunResult r = run(shim(f), empty);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      v2::DeleteResponse resp;
      ASSERT_TRUE(resp.ParseFromString(r.out)) << "stdout is not a DeleteResponse";
      EXPECT_EQ(resp.pid(), 0u);
      EXPECT_GT(resp.exited_at().seconds(), 1'600'000'000) << "exited_at must be a real time";
    }
  }
}

TEST(Start, PrintsOnlyTheAddressAndTheDaemonServes) {
  TempDir tmp;
  std::string bundle = make_bundle(tmp, "t1");
  Started s = start_shim(tmp, bundle, "t1");
  std::string expected = "unix://" + tmp.path() + "/s/" + sha256_hex(tmp.path() + "/containerd.sock/default/t1");
  EXPECT_EQ(s.address, expected) << "runc's convention: sha256(address/ns/group)";
  ASSERT_GT(s.shim_pid, 0);
  EXPECT_NE(s.shim_pid, getpid());
  struct stat sb;
  ASSERT_EQ(stat(s.address.substr(7).c_str(), &sb), 0);
  EXPECT_TRUE(S_ISSOCK(sb.st_mode));
  EXPECT_EQ(sb.st_mode & 0777, 0600u) << "the Task API socket must be private";

  std::string err;
  auto c = Client::connect(s.address, &err);
  ASSERT_TRUE(c) << err;
  v2::ConnectRequest creq;
  creq.set_id("t1");
  v2::ConnectResponse cresp;
  ASSERT_TRUE(call(*c, "Connect", creq, &cresp).ok());
  EXPECT_EQ(static_cast<int>(cresp.shim_pid()), s.shim_pid);
  EXPECT_EQ(cresp.task_pid(), 0u) << "no task created yet";
  EXPECT_EQ(cresp.version(), WASIPOOL_VERSION_STRING);

  // Unknown task -> NOT_FOUND (containerd maps it to ErrNotFound).
  v2::StateRequest sreq;
  sreq.set_id("nosuch");
  v2::StateResponse sresp;
  auto st = call(*c, "State", sreq, &sresp);
  EXPECT_EQ(st.code, Code::kNotFound) << st.message;
  v2::DeleteRequest dreq;
  dreq.set_id("nosuch");
  v2::DeleteResponse dresp;
  EXPECT_EQ(call(*c, "Delete", dreq, &dresp).code, Code::kNotFound);
  v2::KillRequest kreq;
  kreq.set_id("nosuch");
  kreq.set_signal(9);
  wasipool::wire::Empty empty;
  EXPECT_EQ(call(*c, "Kill", kreq, &empty).code, Code::kNotFound);

  // Unknown methods and services, and the unsupported ones: UNIMPLEMENTED with a message.
  std::string out;
  st = c->call("containerd.task.v2.Task", "Frobnicate", "", &out, 5'000'000'000);
  EXPECT_EQ(st.code, Code::kUnimplemented);
  EXPECT_NE(st.message.find("Frobnicate"), std::string::npos) << st.message;
  st = c->call("containerd.task.v3.Task", "State", "", &out, 5'000'000'000);
  EXPECT_EQ(st.code, Code::kUnimplemented);
  for (const char* m : {"Pause", "Resume", "Checkpoint"}) {
    v2::PauseRequest preq;
    preq.set_id("t1");
    st = call(*c, m, preq, &empty);
    EXPECT_EQ(st.code, Code::kUnimplemented) << m;
    EXPECT_NE(st.message.find("not supported"), std::string::npos) << st.message;
  }

  // containerd restarting: the connection closes, a new one must be served as before.
  c.reset();
  auto c2 = Client::connect(read_file(bundle + "/address"), &err);
  ASSERT_TRUE(c2) << err;
  ASSERT_TRUE(call(*c2, "Connect", creq, &cresp).ok());
  EXPECT_EQ(static_cast<int>(cresp.shim_pid()), s.shim_pid);
  c2.reset();
  shutdown_shim(s, "t1");
}

// The daemon holds nothing of its parent's: stdin /dev/null, no pipe (containerd's CombinedOutput would
// wait for it), and its log lines go to the bundle's `log` FIFO, where containerd reads them.
TEST(Start, DaemonWritesItsLogToTheFifoAndInheritsNoPipe) {
  TempDir tmp;
  std::string bundle = make_bundle(tmp, "t5");
  ASSERT_EQ(mkfifo((bundle + "/log").c_str(), 0700), 0);
  int log_fd = open((bundle + "/log").c_str(), O_RDONLY | O_NONBLOCK);  // containerd opens it before start
  ASSERT_GE(log_fd, 0);
  Started s = start_shim(tmp, bundle, "t5");
  ASSERT_GT(s.shim_pid, 0);
  std::string fd_dir = "/proc/" + std::to_string(s.shim_pid) + "/fd";
  auto link = [&](const std::string& fd) {
    char buf[512];
    ssize_t n = readlink((fd_dir + "/" + fd).c_str(), buf, sizeof buf - 1);
    return std::string(buf, n > 0 ? n : 0);
  };
  EXPECT_EQ(link("0"), "/dev/null");
  EXPECT_EQ(link("1"), bundle + "/log");
  EXPECT_EQ(link("2"), bundle + "/log");
  DIR* d = opendir(fd_dir.c_str());
  ASSERT_TRUE(d);
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    EXPECT_EQ(link(e->d_name).rfind("pipe:", 0), std::string::npos) << "fd " << e->d_name << " leaked from start";
  }
  closedir(d);
  std::string log;
  for (int i = 0; i < 300 && log.find("serving") == std::string::npos; ++i) {
    pollfd p{log_fd, POLLIN, 0};
    poll(&p, 1, 100);
    char buf[4096];
    ssize_t n = read(log_fd, buf, sizeof buf);
    if (n > 0) log.append(buf, n);
  }
  EXPECT_NE(log.find("shim daemon pid " + std::to_string(s.shim_pid) + " serving"), std::string::npos) << log;
  shutdown_shim(s, "t5");
  close(log_fd);
}

TEST(Start, GroupsBySandboxIdAndReusesTheShim) {
  TempDir tmp;
  std::string pod = "\"io.kubernetes.cri.sandbox-id\":\"pod1\"";
  std::string b1 = make_bundle(tmp, "sandbox", pod + ",\"io.kubernetes.cri.container-type\":\"sandbox\"");
  std::string b2 = make_bundle(tmp, "app", pod + ",\"io.kubernetes.cri.container-type\":\"container\"");
  std::string b3 = make_bundle(tmp, "other");
  Started s1 = start_shim(tmp, b1, "sandbox");
  Started s2 = start_shim(tmp, b2, "app");
  Started s3 = start_shim(tmp, b3, "other");
  EXPECT_EQ(s1.address, s2.address) << "one shim per pod";
  EXPECT_EQ(s1.shim_pid, s2.shim_pid);
  EXPECT_EQ(s1.address, "unix://" + tmp.path() + "/s/" + sha256_hex(tmp.path() + "/containerd.sock/default/pod1"));
  EXPECT_NE(s1.address, s3.address);
  EXPECT_NE(s1.shim_pid, s3.shim_pid);
  // runc's own group annotation wins over the sandbox id.
  std::string b4 = make_bundle(tmp, "grouped", "\"io.containerd.runc.v2.group\":\"g\"," + pod);
  Started s4 = start_shim(tmp, b4, "grouped");
  EXPECT_EQ(s4.address, "unix://" + tmp.path() + "/s/" + sha256_hex(tmp.path() + "/containerd.sock/default/g"));
  shutdown_shim(s1, "sandbox");
  shutdown_shim(s3, "other");
  shutdown_shim(s4, "grouped");
}

TEST(Start, ReplacesAStaleSocket) {
  TempDir tmp;
  std::string bundle = make_bundle(tmp, "t2");
  std::string dir = tmp.path() + "/s";
  mkdir(dir.c_str(), 0711);
  std::string path = dir + "/" + sha256_hex(tmp.path() + "/containerd.sock/default/t2");
  // A socket file nobody listens on: what a crashed shim leaves.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  close(fd);
  Started s = start_shim(tmp, bundle, "t2");
  EXPECT_EQ(s.address, "unix://" + path);
  EXPECT_GT(s.shim_pid, 0);
  shutdown_shim(s, "t2");
}

TEST(Start, MissingNamespaceOrBadConfigFails) {
  TempDir tmp;
  std::string bundle = make_bundle(tmp, "t3");
  RunResult r = run(shim({"-id", "t3", "-address", "/x.sock", "start"}), bundle,
                    {"WASIPOOL_SHIM_SOCKET_DIR=" + tmp.path() + "/s", "NAMESPACE="});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("namespace"), std::string::npos) << r.err;
  write_file(bundle + "/config.json", "{not json");
  r = run(shim({"-namespace", "default", "-id", "t3", "-address", "/x.sock", "start"}), bundle,
          {"WASIPOOL_SHIM_SOCKET_DIR=" + tmp.path() + "/s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;
}

// containerd 1.7+ also passes the namespace and its gRPC address in the environment.
TEST(Start, TakesNamespaceAndAddressFromTheEnvironmentOf17) {
  TempDir tmp;
  std::string bundle = make_bundle(tmp, "t6");
  std::string grpc = tmp.path() + "/c17.sock";
  RunResult r = run(shim({"-id", "t6", "start"}), bundle,
                    {"WASIPOOL_SHIM_SOCKET_DIR=" + tmp.path() + "/s", "NAMESPACE=ns17", "GRPC_ADDRESS=" + grpc,
                     "TTRPC_ADDRESS="});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "unix://" + tmp.path() + "/s/" + sha256_hex(grpc + "/ns17/t6"));
  std::string err;
  auto c = Client::connect(r.out, &err);
  ASSERT_TRUE(c) << err;
  v2::ConnectRequest req;
  v2::ConnectResponse resp;
  ASSERT_TRUE(call(*c, "Connect", req, &resp).ok());
  Started s{r.out, static_cast<int>(resp.shim_pid())};
  remember_daemon(s.shim_pid);
  c.reset();
  shutdown_shim(s, "t6");
}
