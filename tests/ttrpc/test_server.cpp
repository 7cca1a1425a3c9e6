// ttrpc::Server over real Unix sockets: dispatch, concurrency, malformed input, limits, shutdown and the
// same-user check. Raw frames are written by hand where the Client would never produce them.
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>

#include <chrono>

#include <vector>

#include "harness.h"
#include "wire.pb.h"

namespace wasipool::ttrpc::test {
namespace {

using TtrpcServer = ServerFixture;

TEST_F(TtrpcServer, RoundTripCarriesPayloadMetadataAndTimeout) {
  CallInfo seen;
  server_.register_method("test.Svc", "Inspect",
                          [&](const CallInfo& call, const std::string& in, std::string* out) {
                            seen = call;
                            *out = "got:" + in;
                            return Status::Ok();
                          });
  start();
  auto c = client();
  ASSERT_TRUE(c);
  std::string out;
  Status st = c->call("test.Svc", "Inspect", std::string("a\0b", 3), &out, 5'000'000'000,
                      {{"containerd-namespace-ttrpc", "default"}});
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(out, std::string("got:a\0b", 7));
  EXPECT_EQ(seen.service, "test.Svc");
  EXPECT_EQ(seen.method, "Inspect");
  EXPECT_EQ(seen.timeout_nano, 5'000'000'000);
  ASSERT_EQ(seen.metadata.size(), 1u);
  EXPECT_EQ(seen.metadata[0].first, "containerd-namespace-ttrpc");
  EXPECT_EQ(seen.metadata[0].second, "default");
  // An empty reply is a Response frame with no payload; it must come back as an empty string.
  st = c->call("test.Svc", "Echo", "", &out);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(out, "");
}

TEST_F(TtrpcServer, NonUtf8TextInTheEnvelopeIsCarriedNotRejected) {
  // Go peers put any bytes in their strings; proto3 C++ `string` fields would refuse them.
  const std::string odd("caf\xe9", 4);  // Latin-1, not UTF-8
  CallInfo seen;
  server_.register_method("test.Svc", "Odd", [&](const CallInfo& call, const std::string&, std::string*) {
    seen = call;
    return Status::Error(Code::kNotFound, "no " + call.metadata.at(0).second);
  });
  start();
  auto c = client();
  std::string out;
  Status st = c->call("test.Svc", "Odd", "", &out, 0, {{"k", odd}});
  EXPECT_EQ(st.code, Code::kNotFound);
  EXPECT_EQ(st.message, "no " + odd);
  EXPECT_EQ(seen.metadata.at(0).second, odd);
  st = c->call("test." + odd, "Echo", "", &out);
  EXPECT_EQ(st.code, Code::kUnimplemented);
  EXPECT_EQ(st.message, "service test." + odd);
}

TEST_F(TtrpcServer, HandlerErrorStatusReachesClientWithoutPayload) {
  server_.register_method("test.Svc", "Fail", [](const CallInfo&, const std::string&, std::string* out) {
    *out = "must not be sent";
    return Status::Error(Code::kNotFound, "process already finished: not found");
  });
  start();
  auto c = client();
  std::string out = "untouched";
  Status st = c->call("test.Svc", "Fail", "x", &out);
  EXPECT_EQ(st.code, Code::kNotFound);
  EXPECT_EQ(st.message, "process already finished: not found");
  EXPECT_EQ(out, "untouched");
}

TEST_F(TtrpcServer, BlockedHandlerDoesNotStallOtherCallsOnTheSameConnection) {
  start();
  auto c = client();
  std::atomic<bool> wait_done{false};
  Status wait_st;
  std::string wait_out;
  std::thread waiter([&] {
    wait_st = c->call("test.Svc", "Wait", "", &wait_out);
    wait_done = true;
  });
  gate_.wait_entered(1);
  for (int i = 0; i < 5; ++i) {
    std::string out;
    Status st = c->call("test.Svc", "Echo", "ping" + std::to_string(i), &out);
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(out, "ping" + std::to_string(i));
  }
  EXPECT_FALSE(wait_done.load());  // still blocked: the Echo answers overtook it
  gate_.open();
  waiter.join();
  ASSERT_TRUE(wait_st.ok()) << wait_st.message;
  EXPECT_EQ(wait_out, "waited");
}

TEST_F(TtrpcServer, ResponsesComeOutInCompletionOrderOnTheWire) {
  start();
  int fd = connect_unix(path_);
  ASSERT_GE(fd, 0);
  send_frame(fd, 1, 1, 0, request_data("test.Svc", "Wait", ""));
  gate_.wait_entered(1);
  send_frame(fd, 3, 1, 0, request_data("test.Svc", "Echo", "early"));
  Answer a;
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.stream, 3u);
  EXPECT_EQ(a.payload, "early");
  gate_.open();
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.stream, 1u);
  EXPECT_EQ(a.payload, "waited");
  ::close(fd);
}

TEST_F(TtrpcServer, OversizedFrameIsResourceExhaustedAndConnectionStaysUsable) {
  start();
  int fd = connect_unix(path_);
  ASSERT_GE(fd, 0);
  const uint32_t n = kMaxMessageLength + 1;
  send_frame(fd, 1, 1, 0, std::string(n, 'z'));
  Answer a;
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.stream, 1u);
  EXPECT_EQ(a.status.code, Code::kResourceExhausted);
  EXPECT_EQ(a.status.message, "message length 4194305 exceed maximum message size of 4194304");
  send_frame(fd, 3, 1, 0, request_data("test.Svc", "Echo", "after"));
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.stream, 3u);
  EXPECT_TRUE(a.status.ok()) << a.status.message;
  EXPECT_EQ(a.payload, "after");
  ::close(fd);
}

TEST_F(TtrpcServer, MaxLengthFramesPassAndLargerOnesAreRefusedOnBothSides) {
  server_.register_method("test.Svc", "Big", [](const CallInfo&, const std::string&, std::string* out) {
    *out = std::string(kMaxMessageLength, 'b');  // its Response envelope is over the limit
    return Status::Ok();
  });
  start();
  auto c = client();
  // Fill the payload so the Request envelope is exactly 4 MiB (the limit is inclusive).
  std::string probe = request_data("test.Svc", "Echo", std::string(kMaxMessageLength - 64, 'a'));
  size_t overhead = probe.size() - (kMaxMessageLength - 64);
  std::string payload(kMaxMessageLength - overhead, 'a');
  ASSERT_EQ(request_data("test.Svc", "Echo", payload).size(), kMaxMessageLength);
  std::string out;
  Status st = c->call("test.Svc", "Echo", payload, &out);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(out, payload);
  // The server refuses to send an oversized response and says why.
  st = c->call("test.Svc", "Big", "", &out);
  EXPECT_EQ(st.code, Code::kResourceExhausted) << st.message;
  EXPECT_NE(st.message.find("exceed maximum message size of 4194304"), std::string::npos) << st.message;
  // The client refuses to send an oversized request.
  st = c->call("test.Svc", "Echo", std::string(kMaxMessageLength, 'a'), &out);
  EXPECT_EQ(st.code, Code::kResourceExhausted);
  ASSERT_TRUE(c->call("test.Svc", "Echo", "small", &out).ok());
  EXPECT_EQ(out, "small");
}

TEST_F(TtrpcServer, EvenStreamIdIsInvalidArgument) {
  start();
  int fd = connect_unix(path_);
  ASSERT_GE(fd, 0);
  send_frame(fd, 2, 1, 0, request_data("test.Svc", "Echo", "x"));
  Answer a;
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.stream, 2u);
  EXPECT_EQ(a.status.code, Code::kInvalidArgument);
  EXPECT_EQ(a.status.message, "StreamID must be odd for client initiated streams");
  send_frame(fd, 0, 1, 0, request_data("test.Svc", "Echo", "x"));
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.status.code, Code::kInvalidArgument);
  ::close(fd);
}

TEST_F(TtrpcServer, GarbageEnvelopeIsInvalidArgument) {
  start();
  int fd = connect_unix(path_);
  ASSERT_GE(fd, 0);
  // 0x0a 0xff...: field 1 (service) with a length running past the end: not a ttrpc.Request.
  send_frame(fd, 1, 1, 0, std::string("\x0a\xff\xff\x01garbage", 11));
  Answer a;
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.stream, 1u);
  EXPECT_EQ(a.status.code, Code::kInvalidArgument);
  EXPECT_NE(a.status.message.find("cannot decode ttrpc.Request"), std::string::npos) << a.status.message;
  send_frame(fd, 3, 1, 0, request_data("test.Svc", "Echo", "still here"));
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.payload, "still here");
  ::close(fd);
}

TEST_F(TtrpcServer, DataFramesUnknownTypesAndStreamingFlagsGetErrorAnswers) {
  start();
  int fd = connect_unix(path_);
  ASSERT_GE(fd, 0);
  Answer a;
  send_frame(fd, 1, 3, 0, "data");  // Data frame
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.status.code, Code::kInvalidArgument);
  send_frame(fd, 3, 0x7f, 0, "");  // unknown type
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.status.code, Code::kInvalidArgument);
  send_frame(fd, 5, 2, 0, "");  // a Response sent to the server
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.status.code, Code::kInvalidArgument);
  send_frame(fd, 7, 1, kFlagRemoteOpen, request_data("test.Svc", "Echo", "s"));  // streaming request
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.stream, 7u);
  EXPECT_EQ(a.status.code, Code::kUnimplemented);
  send_frame(fd, 9, 1, 0, request_data("test.Svc", "Echo", "unary"));
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.stream, 9u);
  EXPECT_EQ(a.payload, "unary");
  ::close(fd);
}

TEST_F(TtrpcServer, TruncatedFramesCloseOnlyThatConnection) {
  start();
  auto other = client();  // an established connection must survive the broken ones
  // A header cut short, then EOF.
  int fd = connect_unix(path_);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write_all(fd, "\x00\x00\x00", 3), 0);
  ::shutdown(fd, SHUT_WR);
  char b;
  EXPECT_EQ(::read(fd, &b, 1), 0);  // the server closed: no answer to a frame it never got whole
  ::close(fd);
  // Data cut short: header announces 100 bytes, 10 arrive.
  fd = connect_unix(path_);
  ASSERT_GE(fd, 0);
  uint8_t hdr[kHeaderSize];
  encode_header(FrameHeader{100, 1, 1, 0}, hdr);
  ASSERT_EQ(write_all(fd, hdr, sizeof hdr), 0);
  ASSERT_EQ(write_all(fd, "0123456789", 10), 0);
  ::shutdown(fd, SHUT_WR);
  EXPECT_EQ(::read(fd, &b, 1), 0);
  ::close(fd);
  // An oversized frame whose data never comes: the drain ends at EOF.
  fd = connect_unix(path_);
  ASSERT_GE(fd, 0);
  encode_header(FrameHeader{0xffffffffu, 1, 1, 0}, hdr);
  ASSERT_EQ(write_all(fd, hdr, sizeof hdr), 0);
  ::shutdown(fd, SHUT_WR);
  EXPECT_EQ(::read(fd, &b, 1), 0);
  ::close(fd);
  // The server still serves the old connection and a new one.
  std::string out;
  ASSERT_TRUE(other->call("test.Svc", "Echo", "old", &out).ok());
  EXPECT_EQ(out, "old");
  auto c = client();
  ASSERT_TRUE(c->call("test.Svc", "Echo", "new", &out).ok());
  EXPECT_EQ(out, "new");
}

TEST_F(TtrpcServer, PeerGoneBeforeTheAnswerDoesNotKillTheServer) {
  start();
  int fd = connect_unix(path_);
  ASSERT_GE(fd, 0);
  send_frame(fd, 1, 1, 0, request_data("test.Svc", "Wait", ""));
  gate_.wait_entered(1);
  ::close(fd);  // the answer will be written to a dead socket: EPIPE, and no SIGPIPE may kill us
  gate_.open();
  // Still alive and serving (if SIGPIPE had fired, this process would be gone).
  auto c = client();
  std::string out;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c->call("test.Svc", "Echo", "alive", &out).ok());
  EXPECT_EQ(out, "alive");
}

TEST_F(TtrpcServer, UnknownServiceAndMethodUseTheGoServerTexts) {
  start();
  auto c = client();
  std::string out;
  Status st = c->call("no.Such", "Echo", "", &out);
  EXPECT_EQ(st.code, Code::kUnimplemented);
  EXPECT_EQ(st.message, "service no.Such");
  st = c->call("test.Svc", "Nope", "", &out);
  EXPECT_EQ(st.code, Code::kUnimplemented);
  EXPECT_EQ(st.message, "method Nope");
}

TEST_F(TtrpcServer, TypedHandlerWithUnparsablePayloadIsInternalAndNeverRuns) {
  std::atomic<int> ran{0};
  server_.register_typed<wire::Timestamp, wire::Timestamp>(
      "test.Svc", "Next",
      [&](const CallInfo&, const wire::Timestamp& in, wire::Timestamp* out) {
        ++ran;
        out->set_seconds(in.seconds() + 1);
        out->set_nanos(in.nanos());
        return Status::Ok();
      });
  start();
  auto c = client();
  wire::Timestamp ts;
  ts.set_seconds(41);
  ts.set_nanos(7);
  std::string out;
  Status st = c->call("test.Svc", "Next", ts.SerializeAsString(), &out);
  ASSERT_TRUE(st.ok()) << st.message;
  wire::Timestamp back;
  ASSERT_TRUE(back.ParseFromString(out));
  EXPECT_EQ(back.seconds(), 42);
  EXPECT_EQ(back.nanos(), 7);
  EXPECT_EQ(ran.load(), 1);
  // Field 1 varint whose continuation bytes run off the end.
  st = c->call("test.Svc", "Next", std::string("\x08\xff\xff", 3), &out);
  EXPECT_EQ(st.code, Code::kInternal);
  EXPECT_NE(st.message.find("cannot decode wasipool.wire.Timestamp"), std::string::npos) << st.message;
  EXPECT_EQ(ran.load(), 1);
}

TEST_F(TtrpcServer, ThrowingHandlerIsInternal) {
  server_.register_method("test.Svc", "Throw", [](const CallInfo&, const std::string&, std::string*) -> Status {
    throw std::runtime_error("boom");
  });
  start();
  auto c = client();
  std::string out;
  Status st = c->call("test.Svc", "Throw", "", &out);
  EXPECT_EQ(st.code, Code::kInternal);
  EXPECT_NE(st.message.find("boom"), std::string::npos);
  ASSERT_TRUE(c->call("test.Svc", "Echo", "ok", &out).ok());
}

TEST_F(TtrpcServer, InFlightCapAnswersResourceExhausted) {
  start();
  int fd = connect_unix(path_);
  ASSERT_GE(fd, 0);
  const int cap = 128;
  for (int i = 0; i < cap; ++i) send_frame(fd, uint32_t(2 * i + 1), 1, 0, request_data("test.Svc", "Wait", ""));
  gate_.wait_entered(cap);
  send_frame(fd, uint32_t(2 * cap + 1), 1, 0, request_data("test.Svc", "Wait", ""));
  Answer a;
  ASSERT_TRUE(read_answer(fd, &a));
  EXPECT_EQ(a.stream, uint32_t(2 * cap + 1));
  EXPECT_EQ(a.status.code, Code::kResourceExhausted);
  gate_.open();
  int ok = 0;
  for (int i = 0; i < cap; ++i) {
    ASSERT_TRUE(read_answer(fd, &a));
    ok += a.status.ok();
  }
  EXPECT_EQ(ok, cap);
  ::close(fd);
}

TEST_F(TtrpcServer, ManyThreadsShareOneClient) {
  start();
  auto c = client();
  std::vector<std::thread> ts;
  std::atomic<int> good{0};
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        std::string in = std::to_string(t) + ":" + std::to_string(i), out;
        if (c->call("test.Svc", "Echo", in, &out).ok() && out == in) ++good;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(good.load(), 800);
}

int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

TEST_F(TtrpcServer, ConnectionChurnLeaksNoDescriptors) {
  start();
  std::string out;
  // Before any connection: the listener and the server's eventfd are all there is (both opened before
  // start() returns). The server's side of a connection closes asynchronously, so the final count is
  // polled (bounded) until it returns to this.
  const int base = open_fds();
  auto settled = [&](int want) {
    for (int i = 0; i < 2000 && open_fds() != want; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return open_fds();
  };
  std::vector<std::unique_ptr<Client>> clients;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 40; ++i) clients.push_back(client());
    for (auto& c : clients) ASSERT_TRUE(c->call("test.Svc", "Echo", "c", &out).ok());
    clients.clear();
  }
  for (int i = 0; i < 100; ++i) {  // and raw peers that vanish mid-frame
    int fd = connect_unix(path_);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write_all(fd, "\x00\x00", 2), 0);
    ::close(fd);
  }
  EXPECT_EQ(settled(base), base);
}

TEST_F(TtrpcServer, ShutdownWaitsForABlockedHandlerAndWritesItsResponse) {
  start();
  auto c = client();
  Status wait_st;
  std::string wait_out;
  std::thread waiter([&] { wait_st = c->call("test.Svc", "Wait", "", &wait_out); });
  gate_.wait_entered(1);
  server_.shutdown();
  // The accept loop stops and closes the listener: new connections are refused (poll, no clock).
  int fd;
  while ((fd = connect_unix(path_)) >= 0) {
    ::close(fd);
    std::this_thread::yield();
  }
  EXPECT_FALSE(serve_returned_.load());  // an in-flight handler keeps serve() waiting
  gate_.open();
  waiter.join();
  ASSERT_TRUE(wait_st.ok()) << wait_st.message;
  EXPECT_EQ(wait_out, "waited");
  serve_thread_.join();
  EXPECT_TRUE(serve_returned_.load());
  EXPECT_EQ(serve_result_.load(), 0);
  // The connection is closed after the response: further calls are UNAVAILABLE.
  std::string out;
  EXPECT_EQ(c->call("test.Svc", "Echo", "x", &out).code, Code::kUnavailable);
}

TEST_F(TtrpcServer, ShutdownFromAHandlerAnswersThenServeReturns) {
  server_.register_method("test.Svc", "Shutdown", [&](const CallInfo&, const std::string&, std::string*) {
    server_.shutdown();
    server_.shutdown();  // twice is harmless
    return Status::Ok();
  });
  start();
  auto c = client();
  std::string out;
  Status st = c->call("test.Svc", "Shutdown", "", &out);
  EXPECT_TRUE(st.ok()) << st.message;
  serve_thread_.join();
  EXPECT_EQ(serve_result_.load(), 0);
}

TEST_F(TtrpcServer, ShutdownBeforeServeReturnsAtOnce) {
  server_.shutdown();
  start();
  serve_thread_.join();
  EXPECT_EQ(serve_result_.load(), 0);
}

TEST_F(TtrpcServer, ServeRefusesADescriptorThatIsNotListening) {
  Server other;
  EXPECT_EQ(other.serve(-1), EBADF);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  EXPECT_EQ(other.serve(sv[0]), EINVAL);  // connected, not listening (serve closes it)
  ::close(sv[1]);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  EXPECT_EQ(other.serve(p[0]), ENOTSOCK);
  ::close(p[1]);
}

// Forks a child that drops to uid/gid 65534 (nobody), connects and sends a valid request.
// Child exit: 0 = closed without an answer, 1 = answered, 2 = could not connect, 3 = setup failed.
int connect_as_nobody(const std::string& path) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) ::_exit(3);
    int fd = connect_unix(path);
    if (fd < 0) ::_exit(2);
    FrameHeader h{0, 1, 1, 0};
    (void)write_frame(fd, h, request_data("test.Svc", "Echo", "intruder"));
    Frame f;
    ReadStatus rs = read_frame(fd, &f);
    ::_exit(rs == ReadStatus::kFrame ? 1 : 0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST_F(TtrpcServer, PeerOfAnotherUserIsClosedWithoutAnswer) {
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root to switch the client to uid 65534";
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  start();
  // Wait until the socket exists, then open it to everybody: only the credential check may refuse.
  auto c = client();
  ASSERT_EQ(::chmod(path_.c_str(), 0777), 0);
  EXPECT_EQ(connect_as_nobody(path_), 0);
  std::string out;
  ASSERT_TRUE(c->call("test.Svc", "Echo", "root still served", &out).ok());
}

TEST_F(TtrpcServer, PeerOfAnotherUserIsServedWhenTheCheckIsOff) {
  // The control for the test above: the same child gets an answer once the check is disabled.
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root to switch the client to uid 65534";
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  server_.set_require_same_user(false);
  start();
  auto c = client();
  ASSERT_EQ(::chmod(path_.c_str(), 0777), 0);
  EXPECT_EQ(connect_as_nobody(path_), 1);
}

}  // namespace
}  // namespace wasipool::ttrpc::test
