// ttrpc: containerd's lightweight RPC over a Unix socket, written here on libprotobuf-lite.
// Wire format (see docs/shim.md): 10-byte big-endian header {u32 length, u32 stream id, u8 type, u8 flags}
// then `length` bytes holding a ttrpc.Request or ttrpc.Response (proto/ttrpc.proto). Unary calls only
// (what containerd 1.6-2.x sends to a shim). Max data length 4 MiB.
//
// Threading: Server::serve() runs an accept loop; each connection has one reader thread, and every
// request runs on its own thread so a blocked handler (Task.Wait) never stalls other calls on the same
// connection; responses are written under a per-connection lock in completion order.
// Client is safe to use from several threads (one call in flight per stream id, multiplexed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wasipool::ttrpc {

// gRPC status codes, as containerd's errdefs.FromGRPC reads them.
enum class Code : int32_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
};

struct Status {
  Code code = Code::kOk;
  std::string message;
  bool ok() const { return code == Code::kOk; }
  static Status Ok() { return {}; }
  static Status Error(Code c, std::string m) { return {c, std::move(m)}; }
};

using Metadata = std::vector<std::pair<std::string, std::string>>;

inline constexpr uint32_t kMaxMessageLength = 4u << 20;  // containerd/ttrpc messageLengthMax

struct CallInfo {
  std::string service;
  std::string method;
  int64_t timeout_nano = 0;  // 0 = none
  Metadata metadata;
};

// A raw handler: request payload bytes in, response payload bytes out. The returned Status is sent in
// the Response envelope; when it is not OK the payload is not sent.
using RawHandler =
    std::function<Status(const CallInfo& call, const std::string& request, std::string* response)>;

class Server {
 public:
  Server();
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Register before serve(). Unknown service -> UNIMPLEMENTED "service <name>", unknown method ->
  // UNIMPLEMENTED "method <name>" (the Go server's texts).
  void register_method(const std::string& service, const std::string& method, RawHandler handler);

  // Typed convenience: Req/Resp are generated lite messages. A payload that does not parse is answered
  // INTERNAL (as the Go server does); the handler never sees it.
  template <typename Req, typename Resp>
  void register_typed(const std::string& service, const std::string& method,
                      std::function<Status(const CallInfo&, const Req&, Resp*)> handler) {
    register_method(service, method,
                    [h = std::move(handler)](const CallInfo& call, const std::string& in,
                                             std::string* out) -> Status {
                      Req req;
                      if (!req.ParseFromString(in))
                        return Status::Error(Code::kInternal,
                                             "cannot decode " + std::string(Req().GetTypeName()) +
                                                 " for " + call.service + "/" + call.method);
                      Resp resp;
                      Status st = h(call, req, &resp);
                      if (st.ok()) resp.SerializeToString(out);
                      return st;
                    });
  }

  // Reject peers whose SO_PEERCRED uid/gid differ from our effective uid/gid (the Go shim's
  // UnixSocketRequireSameUser). On by default.
  void set_require_same_user(bool on);

  // Serves on an already bound and listening Unix stream socket; takes ownership of listen_fd.
  // Blocks until shutdown() is called (from any thread, including a handler). Returns 0 or an errno.
  int serve(int listen_fd);

  // Stops accepting, closes every connection after in-flight responses are written, and makes
  // serve() return. Safe to call from a handler thread and more than once.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Client {
 public:
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // Connects to a Unix socket path ("unix://" prefix accepted; an "@" or bare non-path address is a
  // Linux abstract socket, as containerd treats addresses without unix://). Empty pointer + error text
  // on failure.
  static std::unique_ptr<Client> connect(const std::string& address, std::string* error);

  // One unary call. timeout_nano > 0 bounds the wait for the answer (DEADLINE_EXCEEDED after it).
  // A closed connection gives UNAVAILABLE.
  Status call(const std::string& service, const std::string& method, const std::string& request,
              std::string* response, int64_t timeout_nano = 0, const Metadata& metadata = {});

 private:
  Client();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wasipool::ttrpc
