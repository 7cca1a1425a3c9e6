// End-to-end: `wasipool serve` on an ephemeral loopback port, driven over real HTTP.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.h"

using spintest::Conn;
using spintest::request;
using spintest::ServeProcess;

namespace {

const std::string kGuests = SPIN_GUEST_DIR;

std::string app_manifest(const std::string& dir) {
  std::filesystem::create_directories(dir + "/data");
  spintest::write_file(dir + "/data/greeting.txt", "hello file");
  std::filesystem::create_directories(dir + "/notes");
  spintest::write_file(dir + "/notes/note.txt", "staged note");
  spintest::write_file(dir + "/notes/other.md", "not matched");
  std::string m = R"(spin_manifest_version = "1"
name = "spin-tests"
version = "0.0.1"
trigger = { type = "http", base = "/" }
[variables]
greeting = { default = "hi" }

[[component]]
id = "wagi"
source = ")" + kGuests + R"(/spin_wagi_cases.wasm"
files = [{ source = "data", destination = "/data" }, "notes/*.txt"]
environment = { FROM_MANIFEST = "yes" }
[component.trigger]
route = "/wagi/..."
executor = { type = "wagi" }

[[component]]
id = "spin"
source = ")" + kGuests + R"(/spin_abi_cases.wasm"
key_value_stores = ["default"]
allowed_http_hosts = ["allowed.example.com"]
allowed_outbound_hosts = ["http://127.0.0.1:*"]
config = { greeting = "{{ greeting }} there" }
[component.trigger]
route = "/spin/..."

[[component]]
id = "hello"
source = ")" + kGuests + R"(/spin_wagi_cases.wasm"
[component.trigger]
route = "/hello"
executor = { type = "wagi" }
)";
  spintest::write_file(dir + "/spin.toml", m);
  return dir + "/spin.toml";
}

class SpinServe : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(spintest::make_temp_dir());
    server_ = new ServeProcess(app_manifest(*dir_), {"--timeout", "3", "--max-memory", "64", "--max-body", "1048576",
                                                     "--max-output", "1048576", "--state-dir", *dir_ + "/state"});
    ASSERT_GT(server_->port(), 0) << server_->output();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0);  // graceful stop on SIGTERM exits 0
    delete server_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static int port() { return server_->port(); }
  static std::string* dir_;
  static ServeProcess* server_;
};
std::string* SpinServe::dir_ = nullptr;
ServeProcess* SpinServe::server_ = nullptr;

bool has_line(const std::string& body, const std::string& line) {
  return ("\n" + body).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_F(SpinServe, WellKnownAndNotFound) {
  auto h = request(port(), "GET", "/.well-known/spin/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "OK");
  auto i = request(port(), "GET", "/.well-known/spin/info");
  EXPECT_EQ(i.status, 200);
  EXPECT_NE(i.body.find("\"name\":\"spin-tests\""), std::string::npos) << i.body;
  EXPECT_EQ(request(port(), "GET", "/nothing/here").status, 404);
  EXPECT_EQ(request(port(), "GET", "/hello/extra").status, 404);  // exact route only
  EXPECT_EQ(request(port(), "GET", "/wagix").status, 404);        // segment boundary
}

TEST_F(SpinServe, WagiEnvironmentAndArgv) {
  auto r = request(port(), "GET", "/wagi/env?a=1&b=2", "", {"X-Test: val", "Authorization: Bearer secret"});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string p = std::to_string(port());
  for (const char* want : {"REQUEST_METHOD=GET", "PATH_INFO=/env", "X_RAW_PATH_INFO=/env", "SCRIPT_NAME=/wagi",
                           "X_MATCHED_ROUTE=/wagi/...", "X_RAW_COMPONENT_ROUTE=/wagi/...", "X_COMPONENT_ROUTE=/wagi",
                           "X_BASE_PATH=/", "QUERY_STRING=a=1&b=2", "GATEWAY_INTERFACE=CGI/1.1", "SERVER_SOFTWARE=WAGI/1",
                           "SERVER_PROTOCOL=HTTP/1.1", "SERVER_NAME=127.0.0.1", "CONTENT_LENGTH=0", "HTTP_X_TEST=val",
                           "FROM_MANIFEST=yes", "REMOTE_ADDR=127.0.0.1", "argv[0]=/wagi/env", "argv[1]=a=1",
                           "argv[2]=b=2"})
    EXPECT_TRUE(has_line(r.body, want)) << want << "\n" << r.body;
  EXPECT_TRUE(has_line(r.body, "SERVER_PORT=" + p)) << r.body;
  EXPECT_TRUE(has_line(r.body, "X_FULL_URL=http://127.0.0.1:" + p + "/wagi/env?a=1&b=2")) << r.body;
  EXPECT_NE(r.body.find("X_CLIENT_ADDR=127.0.0.1:"), std::string::npos);
  EXPECT_EQ(r.body.find("HTTP_AUTHORIZATION"), std::string::npos);  // credentials never reach the guest
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
}

TEST_F(SpinServe, WagiStdoutParsing) {
  auto s = request(port(), "GET", "/wagi/status");
  EXPECT_EQ(s.status, 201);
  EXPECT_EQ(s.headers["x-custom"], "yes");
  EXPECT_EQ(s.body, "created");
  auto l = request(port(), "GET", "/wagi/location");
  EXPECT_EQ(l.status, 302);
  EXPECT_EQ(l.headers["location"], "/elsewhere");
  auto c = request(port(), "GET", "/wagi/crlf");
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.headers["content-type"], "text/html");
  EXPECT_EQ(c.headers["x-a"], "2");
  EXPECT_EQ(c.body, "body\r\nline2");
  EXPECT_EQ(request(port(), "GET", "/wagi/noheaders").status, 500);
  EXPECT_EQ(request(port(), "GET", "/wagi/badstatus").status, 502);
  EXPECT_EQ(request(port(), "GET", "/wagi/exit3").status, 500);
  EXPECT_EQ(request(port(), "GET", "/wagi/trap").status, 500);
  auto h = request(port(), "GET", "/hello");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "path_info=");
}

TEST_F(SpinServe, WagiBodyOnStdinAndChunked) {
  std::string body(200000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 + 3);
  auto r = request(port(), "POST", "/wagi/echo", body);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, body);
  Conn c(port());
  ASSERT_TRUE(c.send("POST /wagi/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n7\r\n chunks\r\n0\r\n\r\n"));
  auto cr = c.read();
  EXPECT_EQ(cr.status, 200);
  EXPECT_EQ(cr.body, "hello chunks");
}

TEST_F(SpinServe, WagiOutputNeverLeaksBetweenRequests) {
  Conn c(port());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(c.send("GET /wagi/env HTTP/1.1\r\nHost: x\r\n\r\nGET /wagi/peek HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(c.read().status, 200);
    auto peek = c.read();
    EXPECT_EQ(peek.status, 200);
    EXPECT_TRUE(peek.body == "nonzero=0" || peek.body == "unreadable") << peek.body;
  }
}

// A guest can write far out, seek back and end its output early; the next guest on the same thread can
// seek past those bytes and write after them, making them part of its response: they must be zeros.
TEST_F(SpinServe, WagiSkippedStdoutBytesAreZero) {
  Conn c(port());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(c.send("GET /wagi/scribble HTTP/1.1\r\nHost: x\r\n\r\nGET /wagi/gap HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto scribble = c.read();
    EXPECT_EQ(scribble.status, 200);
    EXPECT_EQ(scribble.body, "ok");
    auto gap = c.read();
    EXPECT_EQ(gap.status, 200);
    ASSERT_FALSE(gap.body.empty());
    EXPECT_EQ(gap.body.back(), '|');
    EXPECT_EQ(gap.body.find_first_not_of('\0'), gap.body.size() - 1) << "stale bytes reached a response";
  }
}

TEST_F(SpinServe, WagiLimitsAndMounts) {
  auto f = request(port(), "GET", "/wagi/file");
  EXPECT_EQ(f.status, 200);
  EXPECT_EQ(f.body, "hello file|write:denied");  // mounts are read-only
  auto st = request(port(), "GET", "/wagi/staged");
  EXPECT_EQ(st.body, "staged note|manifest:hidden");
  auto g = request(port(), "GET", "/wagi/grow");
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.body, "refused");  // 512 MiB is past --max-memory 64
  auto fl = request(port(), "GET", "/wagi/flood");
  EXPECT_EQ(fl.status, 200);
  EXPECT_LE(fl.body.size(), 1048576u);  // --max-output caps what the guest can make us hold
  EXPECT_GT(fl.body.size(), 1000000u);
}

TEST_F(SpinServe, SpinExecutorRequestAndHeaders) {
  auto r = request(port(), "POST", "/spin/echo?x=1", "payload", {"X-Test: val"});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string p = std::to_string(port());
  for (const char* want : {"uri=/spin/echo?x=1", "method=1", "params=none", "body=payload", "x-test=val",
                           "spin-path-info=/echo", "spin-matched-route=/spin/...", "spin-base-path=/",
                           "spin-raw-component-route=/spin/...", "spin-component-route=/spin"})
    EXPECT_TRUE(has_line(r.body, want)) << want << "\n" << r.body;
  EXPECT_TRUE(has_line(r.body, "spin-full-url=http://127.0.0.1:" + p + "/spin/echo?x=1")) << r.body;
  EXPECT_NE(r.body.find("spin-client-addr=127.0.0.1:"), std::string::npos);
  EXPECT_EQ(r.headers["x-dup"], "second");  // a repeated header name overwrites
  auto g = request(port(), "GET", "/spin/echo");
  EXPECT_TRUE(has_line(g.body, "body=<none>")) << g.body;
  EXPECT_TRUE(has_line(g.body, "method=0"));
  EXPECT_EQ(request(port(), "PROPFIND", "/spin/echo").status, 405);  // not expressible in the 1.x ABI
  EXPECT_EQ(request(port(), "PROPFIND", "/wagi/status").status, 201);  // WAGI takes any method
  auto head = request(port(), "HEAD", "/spin/other");
  EXPECT_EQ(head.status, 200);
}

TEST_F(SpinServe, SpinExecutorGuestFaults) {
  EXPECT_EQ(request(port(), "GET", "/spin/trap").status, 500);
  EXPECT_EQ(request(port(), "GET", "/spin/badstatus").status, 500);
  EXPECT_EQ(request(port(), "GET", "/spin/badptr").status, 500);
  EXPECT_EQ(request(port(), "GET", "/spin/fine").status, 200);  // the server is unharmed
}

TEST_F(SpinServe, SpinHostInterfaces) {
  auto c = request(port(), "GET", "/spin/config");
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.body, "hi there");
  EXPECT_EQ(request(port(), "GET", "/spin/kv?color=blue").status, 204);
  auto g = request(port(), "GET", "/spin/kv?color");
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.body, "blue");
  auto missing = request(port(), "GET", "/spin/kv?nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "error 4");  // no-such-key
  EXPECT_EQ(request(port(), "GET", "/spin/kv-denied").body, "tag=1 case=2");  // access-denied
  EXPECT_EQ(request(port(), "GET", "/spin/outbound?http://denied.example.com/x").body, "tag=1 case=1");
  EXPECT_EQ(request(port(), "GET", "/spin/outbound?not-a-url").body, "tag=1 case=2");  // invalid-url
  const std::string self = "http://127.0.0.1:" + std::to_string(port());
  // Allowed: the server calls itself; the upstream WAGI guest sees the guest's header.
  auto up = request(port(), "GET", "/spin/outbound?" + self + "/wagi/env");
  EXPECT_NE(up.body.find("status=200 headers=1 body="), std::string::npos) << up.body;
  EXPECT_NE(up.body.find("HTTP_X_FROM_GUEST=1"), std::string::npos) << up.body;
  EXPECT_EQ(request(port(), "GET", "/spin/outbound?http://127.0.0.1:1/x").body, "tag=1 case=3");  // request-error
  EXPECT_EQ(request(port(), "GET", "/spin/outbound?http://localhost:" + std::to_string(port()) + "/hello").body,
            "tag=1 case=1");  // the allow-list names 127.0.0.1, not localhost
}

TEST_F(SpinServe, MalformedAndOversizedRequests) {
  {
    Conn c(port());
    ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n"));
    EXPECT_EQ(c.read().status, 431);
  }
  {
    Conn c(port());
    ASSERT_TRUE(c.send("POST /wagi/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n"));
    EXPECT_EQ(c.read().status, 413);
  }
  {
    Conn c(port());
    ASSERT_TRUE(c.send("THIS IS NOT HTTP\r\n\r\n"));
    EXPECT_EQ(c.read().status, 400);
  }
  {
    Conn c(port());
    ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"));
    EXPECT_EQ(c.read().status, 400);
  }
  {  // a client that vanishes mid-request costs nothing
    Conn c(port());
    ASSERT_TRUE(c.send("POST /wagi/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"));
  }
  EXPECT_EQ(request(port(), "GET", "/.well-known/spin/health").status, 200);
}

// No byte sequence takes the server down: a few hundred garbage and half-valid requests, then it still
// answers. (Deterministic pseudo-random input so a failure reproduces.)
TEST_F(SpinServe, GarbageRequestsDoNotCrashTheServer) {
  uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1103515245u + 12345u; };
  const std::vector<std::string> prefixes = {"", "GET ", "GET / HTTP/1.1\r\n", "POST /wagi/echo HTTP/1.1\r\nContent-Length: 5\r\n",
                                             "GET /spin/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"};
  for (int i = 0; i < 200; ++i) {
    std::string req = prefixes[next() % prefixes.size()];
    size_t n = next() % 200;
    for (size_t j = 0; j < n; ++j) {
      uint32_t r = next();
      req += (r % 7 == 0) ? std::string("\r\n") : std::string(1, static_cast<char>(r >> 8));
    }
    if (next() % 2) req += "\r\n\r\n";
    Conn c(port());
    ASSERT_TRUE(c.connected());
    c.send(req);
  }
  EXPECT_EQ(request(port(), "GET", "/.well-known/spin/health").status, 200);
  EXPECT_EQ(request(port(), "GET", "/hello").status, 200);
}

TEST_F(SpinServe, KeepAliveAndPipelining) {
  Conn c(port());
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto a = c.read();
  EXPECT_EQ(a.status, 200);
  ASSERT_TRUE(c.send("GET /wagi/status HTTP/1.1\r\nHost: x\r\n\r\nGET /spin/x HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c.read().status, 201);
  EXPECT_EQ(c.read().status, 200);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(c.read().status, 200);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(SpinServe, ManyClientsAtOnce) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        auto r = request(port(), "GET", (t % 2) ? "/hello" : "/spin/many");
        if (r.status == 200) ++ok;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 16 * 8);
}

// Looping guests are stopped by the watchdog (504) and, meanwhile, every other request is answered:
// the quick requests all complete before either looping request has returned.
TEST_F(SpinServe, LoopingGuestsDoNotDelayOthers) {
  std::atomic<int> loops_done{0};
  int wagi_status = 0, spin_status = 0;
  std::thread w([&] {
    wagi_status = request(port(), "GET", "/wagi/loop").status;
    ++loops_done;
  });
  std::thread s([&] {
    spin_status = request(port(), "GET", "/spin/loop").status;
    ++loops_done;
  });
  // Give both loops a head start by waiting for a request that goes through the same queue.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(request(port(), "GET", "/hello").status, 200);
  int answered = 0;
  for (int i = 0; i < 20; ++i) answered += request(port(), "GET", i % 2 ? "/hello" : "/spin/q").status == 200;
  int loops_when_done = loops_done.load();
  w.join();
  s.join();
  EXPECT_EQ(answered, 20);
  EXPECT_EQ(loops_when_done, 0);  // the loopers were still running: nobody waited for them
  EXPECT_EQ(wagi_status, 504);
  EXPECT_EQ(spin_status, 504);
  EXPECT_EQ(request(port(), "GET", "/hello").status, 200);
}

TEST(SpinServeLifecycle, KeyValuePersistsAcrossRestarts) {
  std::string dir = spintest::make_temp_dir();
  std::string manifest = app_manifest(dir);
  {
    ServeProcess s(manifest, {"--state-dir", dir + "/state"});
    ASSERT_GT(s.port(), 0) << s.output();
    EXPECT_EQ(request(s.port(), "GET", "/spin/kv?k=persisted").status, 204);
    EXPECT_EQ(s.stop(), 0);
  }
  {
    ServeProcess s(manifest, {"--state-dir", dir + "/state"});
    ASSERT_GT(s.port(), 0) << s.output();
    auto r = request(s.port(), "GET", "/spin/kv?k");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "persisted");
  }
  std::filesystem::remove_all(dir);
}

TEST(SpinServeLifecycle, BadManifestFailsToStart) {
  std::string dir = spintest::make_temp_dir();
  spintest::write_file(dir + "/spin.toml", "spin_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\noops = 1\n");
  ServeProcess s(dir + "/spin.toml");
  EXPECT_EQ(s.port(), 0);
  std::filesystem::remove_all(dir);
}

TEST(SpinServeLifecycle, ExampleHelloManifestServesHello) {
  // examples/hello/spin.toml as the build copies it next to its guest: what `make demo` serves.
  std::string manifest = std::string(SPIN_GUEST_DIR) + "/../../examples/spin.toml";
  if (!std::filesystem::exists(manifest)) GTEST_FAIL() << "missing " << manifest;
  for (const char* m : {"spin.toml", "spin-abi.toml"}) {
    ServeProcess s(std::string(SPIN_GUEST_DIR) + "/../../examples/" + m);
    ASSERT_GT(s.port(), 0) << s.output();
    auto r = request(s.port(), "GET", "/hello");
    EXPECT_EQ(r.status, 200) << m;
    EXPECT_EQ(r.body, "hello") << m;
  }
}

TEST(SpinServeLifecycle, SigtermLetsInFlightRequestsFinish) {
  std::string dir = spintest::make_temp_dir();
  ServeProcess s(app_manifest(dir), {"--timeout", "1"});
  ASSERT_GT(s.port(), 0) << s.output();
  Conn looping(s.port());
  ASSERT_TRUE(looping.send("GET /wagi/loop HTTP/1.1\r\nHost: x\r\n\r\n"));
  // A later request's answer means the server has read the earlier one too (same loopback, sent first);
  // the short pause only makes that all but certain on a loaded machine.
  EXPECT_EQ(request(s.port(), "GET", "/hello").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(s.stop(), 0);  // returns once the server has exited
  auto r = looping.read();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.status, 504);  // the in-flight request was answered before the exit
  EXPECT_EQ(r.headers["connection"], "close");
  std::filesystem::remove_all(dir);
}

TEST(SpinServeLifecycle, SilentAndIdleClientsAreDisconnected) {
  std::string dir = spintest::make_temp_dir();
  ServeProcess s(app_manifest(dir), {"--read-timeout", "0.5", "--idle-timeout", "0.5"});
  ASSERT_GT(s.port(), 0) << s.output();
  Conn silent(s.port());  // connects, sends nothing
  Conn trickle(s.port());  // starts a request and never finishes it
  ASSERT_TRUE(trickle.send("GET /hello HTTP/1.1\r\nHost: x\r\n"));
  Conn idle(s.port());  // one request, then parks the keep-alive connection
  ASSERT_TRUE(idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(idle.read().status, 200);
  EXPECT_TRUE(silent.closed_by_peer());
  EXPECT_TRUE(trickle.closed_by_peer());
  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_EQ(request(s.port(), "GET", "/hello").status, 200);
  std::filesystem::remove_all(dir);
}

// Capacity: 1 guest inline on an I/O thread + 1 worker + 1 queued; five looping requests at once must
// overflow into 503 at once while the admitted ones are stopped by the watchdog (504).
TEST(SpinServeLifecycle, FullQueueAnswers503) {
  std::string dir = spintest::make_temp_dir();
  ServeProcess s(app_manifest(dir), {"--threads", "2", "--workers", "1", "--max-queue", "1", "--timeout", "1"});
  ASSERT_GT(s.port(), 0) << s.output();
  std::vector<int> statuses(5);
  std::vector<std::thread> ts;
  for (int i = 0; i < 5; ++i) ts.emplace_back([&, i] { statuses[i] = request(s.port(), "GET", "/wagi/loop").status; });
  for (auto& t : ts) t.join();
  int n503 = 0, n504 = 0;
  for (int st : statuses) n503 += st == 503, n504 += st == 504;
  EXPECT_GE(n503, 1);
  EXPECT_GE(n504, 2);
  EXPECT_EQ(n503 + n504, 5);
  EXPECT_EQ(request(s.port(), "GET", "/hello").status, 200);
  std::filesystem::remove_all(dir);
}

// A v2 manifest with a base path, served end to end: both executors, the base in every route, the
// headers derived from it, and the inline-component form.
TEST(SpinServeLifecycle, V2ManifestWithBasePath) {
  std::string dir = spintest::make_temp_dir();
  spintest::write_file(dir + "/spin.toml", R"(spin_manifest_version = 2
[application]
name = "v2"
[application.trigger.http]
base = "/base/"
[[trigger.http]]
route = "/w/..."
component = "wagi"
executor = { type = "wagi" }
[[trigger.http]]
route = "/s/..."
component = { source = ")" + kGuests + R"(/spin_abi_cases.wasm" }
[component.wagi]
source = ")" + kGuests + R"(/spin_wagi_cases.wasm"
)");
  ServeProcess s(dir + "/spin.toml");
  ASSERT_GT(s.port(), 0) << s.output();
  auto w = request(s.port(), "GET", "/base/w/env");
  ASSERT_EQ(w.status, 200);
  EXPECT_TRUE(has_line(w.body, "SCRIPT_NAME=/base/w")) << w.body;
  EXPECT_TRUE(has_line(w.body, "X_MATCHED_ROUTE=/base/w/...")) << w.body;
  EXPECT_TRUE(has_line(w.body, "X_RAW_COMPONENT_ROUTE=/w/...")) << w.body;
  EXPECT_TRUE(has_line(w.body, "X_BASE_PATH=/base/")) << w.body;
  EXPECT_TRUE(has_line(w.body, "PATH_INFO=/env")) << w.body;
  auto sp = request(s.port(), "GET", "/base/s/echo");
  ASSERT_EQ(sp.status, 200);
  EXPECT_TRUE(has_line(sp.body, "spin-matched-route=/base/s/...")) << sp.body;
  EXPECT_TRUE(has_line(sp.body, "spin-component-route=/s")) << sp.body;
  EXPECT_EQ(request(s.port(), "GET", "/w/env").status, 404);  // outside the base
  auto head = request(s.port(), "HEAD", "/base/w/status");
  EXPECT_EQ(head.status, 201);
  EXPECT_EQ(head.headers["content-length"], "7");  // the length of the body a GET would get
  std::filesystem::remove_all(dir);
}

// outbound-redis against a real redis-server (Debian's) that the test starts on a free loopback port.
TEST(SpinServeLifecycle, OutboundRedis) {
  int port = spintest::free_port();
  std::string dir = spintest::make_temp_dir();
  int redis = spintest::spawn({"/usr/bin/redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", dir});
  ASSERT_GT(redis, 0);
  bool up = false;
  for (int i = 0; i < 500 && !up; ++i) {
    up = Conn(port).connected();
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(up) << "redis-server did not start";
  std::string manifest = app_manifest(dir);
  // Allow this redis only (the test manifest allows http://127.0.0.1:* already).
  std::string text;
  {
    std::ifstream f(manifest);
    text.assign(std::istreambuf_iterator<char>(f), {});
  }
  size_t at = text.find("allowed_outbound_hosts = [");
  text.insert(at + std::string("allowed_outbound_hosts = [").size(), "\"redis://127.0.0.1:" + std::to_string(port) + "\", ");
  spintest::write_file(manifest, text);
  {
    ServeProcess s(manifest);
    ASSERT_GT(s.port(), 0) << s.output();
    auto r = request(s.port(), "GET", "/spin/redis?redis://127.0.0.1:" + std::to_string(port));
    EXPECT_EQ(r.body, "set=0 get=v1 incr=2 sadd=2 members=2 publish=0");
    // Not in the allow-list: every call answers the interface's error.
    auto denied = request(s.port(), "GET", "/spin/redis?redis://localhost:" + std::to_string(port));
    EXPECT_EQ(denied.body, "set=1 get= incr=-1 sadd=-1 members=999 publish=1");
  }
  spintest::kill_and_wait(redis);
  std::filesystem::remove_all(dir);
}
