// libFuzzer target: the input is everything a peer sends on one ttrpc connection. It goes through the
// real ttrpc::Server (accept, frame reader, envelope decoding, dispatch, handler threads, response
// writes) over a real Unix socket; every byte the server sends back must parse as whole Response frames
// (the oracle, besides ASan/UBSan). Registered methods: a raw Echo and a typed Timestamp method, so the
// unknown-service/method, INTERNAL and OK paths are all reachable.
//
// Seeds: run once with WASIPOOL_FUZZ_TTRPC_SEEDS=DIR to have well-formed connection streams written
// to DIR (then pass DIR as a corpus directory). See docs/ttrpc.md.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "shim/ttrpc/frame.h"
#include "shim/ttrpc/ttrpc.h"
#include "ttrpc.pb.h"
#include "wire.pb.h"

using namespace wasipool::ttrpc;

namespace {

sockaddr_un g_addr;
socklen_t g_addr_len = 0;

std::string frame(uint32_t stream, uint8_t type, uint8_t flags, const std::string& data) {
  std::string out(kHeaderSize, '\0');
  encode_header(FrameHeader{uint32_t(data.size()), stream, type, flags}, reinterpret_cast<uint8_t*>(out.data()));
  return out + data;
}

std::string request(const std::string& service, const std::string& method, const std::string& payload) {
  ::ttrpc::Request r;
  r.set_service(service);
  r.set_method(method);
  r.set_payload(payload);
  r.set_timeout_nano(1000);
  auto* kv = r.add_metadata();
  kv->set_key("containerd-namespace-ttrpc");
  kv->set_value("default");
  return r.SerializeAsString();
}

void write_seeds(const char* dir) {
  wasipool::wire::Timestamp ts;
  ts.set_seconds(1);
  ts.set_nanos(2);
  const std::string seeds[] = {
      frame(1, 1, 0, request("fuzz.Svc", "Echo", "hello")),
      frame(1, 1, 0, request("fuzz.Svc", "Next", ts.SerializeAsString())) +
          frame(3, 1, 0, request("fuzz.Svc", "Echo", "")) + frame(5, 1, 0, request("no.Svc", "X", "")),
      frame(2, 1, 0, request("fuzz.Svc", "Echo", "even")) + frame(3, 3, 1, "data"),
      frame(1, 1, 2, request("fuzz.Svc", "Nope", "")) + frame(3, 1, 0, "\x0a\xff"),
  };
  int i = 0;
  for (const auto& s : seeds) {
    std::ofstream(std::string(dir) + "/seed" + std::to_string(i++), std::ios::binary) << s;
  }
}

void start_server() {
  static Server server;
  server.register_method("fuzz.Svc", "Echo", [](const CallInfo&, const std::string& in, std::string* out) {
    *out = in;
    return Status::Ok();
  });
  server.register_typed<wasipool::wire::Timestamp, wasipool::wire::Timestamp>(
      "fuzz.Svc", "Next",
      [](const CallInfo& call, const wasipool::wire::Timestamp& in, wasipool::wire::Timestamp* out) {
        out->set_seconds(in.seconds() + 1);
        out->set_nanos(int32_t(call.metadata.size()));
        return Status::Ok();
      });
  int lfd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::memset(&g_addr, 0, sizeof g_addr);
  g_addr.sun_family = AF_UNIX;
  // Abstract name: nothing to clean up on disk, unique per fuzzing process.
  int n = std::snprintf(g_addr.sun_path + 1, sizeof g_addr.sun_path - 1, "wasipool-fuzz-ttrpc-%d", int(::getpid()));
  g_addr_len = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + n);
  if (lfd < 0 || ::bind(lfd, reinterpret_cast<sockaddr*>(&g_addr), g_addr_len) != 0 || ::listen(lfd, 16) != 0) {
    std::perror("fuzz_ttrpc: listen");
    std::abort();
  }
  std::thread([lfd] { server.serve(lfd); }).detach();
}

// Checks that `got` is a sequence of whole Response frames whose data parses as ttrpc.Response.
void check_answers(const std::string& got) {
  size_t off = 0;
  while (off < got.size()) {
    if (got.size() - off < kHeaderSize) {
      std::fprintf(stderr, "oracle failed: %zu trailing bytes are not a frame header\n", got.size() - off);
      std::abort();
    }
    FrameHeader h = decode_header(reinterpret_cast<const uint8_t*>(got.data() + off));
    off += kHeaderSize;
    if (h.type != uint8_t(MessageType::kResponse) || h.flags != 0 || h.length > kMaxMessageLength ||
        got.size() - off < h.length) {
      std::fprintf(stderr, "oracle failed: bad response header type=%u flags=%u len=%u\n", h.type, h.flags,
                   h.length);
      std::abort();
    }
    ::ttrpc::Response r;
    if (!r.ParseFromArray(got.data() + off, int(h.length))) {
      std::fprintf(stderr, "oracle failed: response on stream %u does not parse\n", h.stream_id);
      std::abort();
    }
    off += h.length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("WASIPOOL_FUZZ_TTRPC_SEEDS")) write_seeds(dir);
  start_server();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int r;
  do {
    r = ::connect(fd, reinterpret_cast<sockaddr*>(&g_addr), g_addr_len);
  } while (r < 0 && errno == EINTR);
  if (r != 0) {
    std::perror("fuzz_ttrpc: connect");
    std::abort();
  }
  // Write the input and read the answers at the same time: either side may fill its socket buffer.
  size_t sent = 0;
  bool wr_open = true;
  std::string got;
  char buf[65536];
  for (;;) {
    if (wr_open && sent == size) {
      ::shutdown(fd, SHUT_WR);  // EOF tells the server the stream is complete
      wr_open = false;
    }
    pollfd pf = {fd, short(POLLIN | (wr_open ? POLLOUT : 0)), 0};
    if (::poll(&pf, 1, -1) < 0) continue;
    if (wr_open && (pf.revents & POLLOUT)) {
      ssize_t w = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
      if (w > 0) sent += size_t(w);
      else if (w < 0 && errno != EAGAIN && errno != EINTR) wr_open = false;  // server closed on us
    }
    if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) got.append(buf, size_t(n));
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) break;  // server closed: all answers are in
    }
  }
  ::close(fd);
  check_answers(got);
  return 0;
}
