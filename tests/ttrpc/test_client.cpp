// ttrpc::Client: addresses, stream ids on the wire, timeouts and a server that goes away. Where the
// server's behaviour is the point, a hand-written peer on a raw socket plays the server.
#include <vector>

#include "harness.h"

namespace wasipool::ttrpc::test {
namespace {

using TtrpcClient = ServerFixture;

TEST_F(TtrpcClient, ConnectErrorsNameTheAddress) {
  std::string err;
  auto c = Client::connect(dir_ + "/missing.sock", &err);
  EXPECT_FALSE(c);
  EXPECT_NE(err.find(dir_ + "/missing.sock"), std::string::npos) << err;
  c = Client::connect("", &err);
  EXPECT_FALSE(c);
  EXPECT_FALSE(err.empty());
  c = Client::connect("/" + std::string(200, 'x'), &err);
  EXPECT_FALSE(c);
  EXPECT_NE(err.find("too long"), std::string::npos) << err;
}

TEST_F(TtrpcClient, UnixSchemeAndAbstractAddresses) {
  start();
  std::string err, out;
  auto c = Client::connect("unix://" + path_, &err);
  ASSERT_TRUE(c) << err;
  ASSERT_TRUE(c->call("test.Svc", "Echo", "scheme", &out).ok());
  EXPECT_EQ(out, "scheme");

  // A second server on an abstract name.
  Server abstract_server;
  abstract_server.register_method("test.Svc", "Who", [](const CallInfo&, const std::string&, std::string* o) {
    *o = "abstract";
    return Status::Ok();
  });
  std::string name = "@wasipool-ttrpc-test-" + std::to_string(::getpid());
  int lfd = listen_unix(name);
  ASSERT_GE(lfd, 0);
  std::thread t([&] { abstract_server.serve(lfd); });
  auto a = Client::connect(name, &err);
  ASSERT_TRUE(a) << err;
  Status st = a->call("test.Svc", "Who", "", &out);
  EXPECT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(out, "abstract");
  abstract_server.shutdown();
  t.join();
}

TEST_F(TtrpcClient, TimeoutIsDeadlineExceededAndTheLateAnswerIsDropped) {
  start();
  auto c = client();
  std::string out = "untouched";
  Status st = c->call("test.Svc", "Wait", "", &out, 50'000'000);
  EXPECT_EQ(st.code, Code::kDeadlineExceeded);
  EXPECT_EQ(out, "untouched");
  gate_.wait_entered(1);
  EXPECT_EQ(wait_seen().timeout_nano, 50'000'000);  // the deadline travels in the envelope too
  gate_.open();
  // A deadline too far away to compute is no deadline.
  st = c->call("test.Svc", "Echo", "far", &out, INT64_MAX);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(out, "far");
  // The late response for the abandoned stream must not be mistaken for this call's answer.
  st = c->call("test.Svc", "Echo", "next", &out);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(out, "next");
}

// A hand-written server: accepts one connection, answers the first `answer` requests with their stream
// id as payload, records every header, then closes.
struct RawPeer {
  int lfd = -1;
  std::vector<FrameHeader> headers;
  std::thread t;
  void run(int answer, bool garbage_first = false) {
    t = std::thread([this, answer, garbage_first] {
      int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      for (int i = 0; i < answer; ++i) {
        Frame f;
        if (read_frame(fd, &f) != ReadStatus::kFrame) break;
        headers.push_back(f.header);
        FrameHeader h{0, f.header.stream_id, uint8_t(MessageType::kResponse), 0};
        if (garbage_first && i == 0) {
          (void)write_frame(fd, h, std::string("\x12\xff\xff\xff", 4));
        } else {
          (void)write_frame(fd, h, encode_response(Status::Ok(), std::to_string(f.header.stream_id)));
        }
      }
      Frame f;  // one more request arrives and is left unanswered: the close must fail it
      if (read_frame(fd, &f) == ReadStatus::kFrame) headers.push_back(f.header);
      ::close(fd);
    });
  }
};

TEST_F(TtrpcClient, StreamIdsAreOddAndIncreasingAndCloseGivesUnavailable) {
  RawPeer peer;
  peer.lfd = listen_unix(path_);
  ASSERT_GE(peer.lfd, 0);
  peer.run(3);
  auto c = client();
  ASSERT_TRUE(c);
  std::string out;
  for (int i = 0; i < 3; ++i) {
    Status st = c->call("s", "m", "", &out);
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(out, std::to_string(2 * i + 1));
  }
  Status st = c->call("s", "m", "", &out);  // the peer reads it and closes without answering
  EXPECT_EQ(st.code, Code::kUnavailable);
  peer.t.join();
  ::close(peer.lfd);
  ASSERT_EQ(peer.headers.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(peer.headers[i].stream_id, 2 * i + 1);
    EXPECT_EQ(peer.headers[i].type, uint8_t(MessageType::kRequest));
    EXPECT_EQ(peer.headers[i].flags, 0);  // unary, as containerd 1.6 sends
  }
  st = c->call("s", "m", "", &out);
  EXPECT_EQ(st.code, Code::kUnavailable);  // and it stays closed
}

TEST_F(TtrpcClient, FailedWriteGivesUpTheConnection) {
  int lfd = listen_unix(path_);
  ASSERT_GE(lfd, 0);
  auto c = client();
  int sfd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(sfd, 0);
  ::shutdown(sfd, SHUT_RD);  // the peer will never read: our sends fail with EPIPE
  std::string out;
  Status st = c->call("s", "m", "x", &out);
  EXPECT_EQ(st.code, Code::kUnavailable);
  EXPECT_NE(st.message.find("write"), std::string::npos) << st.message;
  // A half-written frame cannot be followed by another one: the connection stays given up.
  st = c->call("s", "m", "x", &out);
  EXPECT_EQ(st.code, Code::kUnavailable);
  ::close(sfd);
  ::close(lfd);
}

TEST_F(TtrpcClient, UndecodableResponseIsInternalForThatCallOnly) {
  RawPeer peer;
  peer.lfd = listen_unix(path_);
  ASSERT_GE(peer.lfd, 0);
  peer.run(2, /*garbage_first=*/true);
  auto c = client();
  std::string out;
  Status st = c->call("s", "m", "", &out);
  EXPECT_EQ(st.code, Code::kInternal);
  st = c->call("s", "m", "", &out);
  EXPECT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(out, "3");
  c.reset();  // closing our side ends the peer's last read
  peer.t.join();
  ::close(peer.lfd);
}

TEST_F(TtrpcClient, CallsPendingWhenTheServerShutsDownAreAnswered) {
  start();
  auto c = client();
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&] {
      std::string out;
      if (c->call("test.Svc", "Wait", "", &out).ok()) ++ok;
    });
  }
  gate_.wait_entered(4);
  std::thread stopper([&] { stop(); });
  gate_.open();
  for (auto& t : ts) t.join();
  stopper.join();
  EXPECT_EQ(ok.load(), 4);
}

TEST_F(TtrpcClient, MovedClientKeepsWorking) {
  start();
  auto c = client();
  Client moved(std::move(*c));
  std::string out;
  ASSERT_TRUE(moved.call("test.Svc", "Echo", "moved", &out).ok());
  EXPECT_EQ(out, "moved");
}

}  // namespace
}  // namespace wasipool::ttrpc::test
