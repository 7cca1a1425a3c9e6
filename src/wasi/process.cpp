// args/environ, clocks, random_get, sched_yield, proc_raise, and sock_* on pre-opened listeners.
#include <sched.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "host.h"

namespace wasipool::wasi {

uint16_t poll_oneoff(Call& c);  // poll_oneoff.cpp

bool host_clock(uint32_t id, clockid_t& out) {
  switch (id) {
    case abi::kRealtime: out = CLOCK_REALTIME; return true;
    case abi::kMonotonic: out = CLOCK_MONOTONIC; return true;
    case abi::kProcessCpu: out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case abi::kThreadCpu: out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

namespace {

using namespace abi;
namespace R = abi::rights;

// Shared by args_* and environ_*: a vector of strings laid out as NUL-terminated strings in `buf`
// with a pointer array in `ptrs`. Both regions are bounds-checked as a whole before writing.
uint16_t write_strings(Call& c, const std::vector<std::string>& v, uint32_t ptrs, uint32_t buf) {
  uint64_t total = 0;
  for (const auto& s : v) total += s.size() + 1;
  auto ptr_span = c.mem.bytes(ptrs, static_cast<uint64_t>(v.size()) * 4);
  auto buf_span = c.mem.bytes(buf, total);
  if (!ptr_span || !buf_span) return kFault;
  uint32_t off = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t p = buf + off;
    std::memcpy(ptr_span->data() + i * 4, &p, 4);
    std::memcpy(buf_span->data() + off, v[i].c_str(), v[i].size() + 1);
    off += static_cast<uint32_t>(v[i].size() + 1);
  }
  return kSuccess;
}

uint16_t write_sizes(Call& c, const std::vector<std::string>& v) {
  uint64_t total = 0;
  for (const auto& s : v) total += s.size() + 1;
  if (uint16_t r = store<uint32_t>(c, c.u32(0), static_cast<uint32_t>(v.size()))) return r;
  return store<uint32_t>(c, c.u32(1), static_cast<uint32_t>(total));
}

uint16_t args_get(Call& c) { return write_strings(c, c.ctx.args, c.u32(0), c.u32(1)); }
uint16_t args_sizes_get(Call& c) { return write_sizes(c, c.ctx.args); }
uint16_t environ_get(Call& c) { return write_strings(c, c.ctx.env, c.u32(0), c.u32(1)); }
uint16_t environ_sizes_get(Call& c) { return write_sizes(c, c.ctx.env); }

uint16_t clock_res_get(Call& c) {
  clockid_t id;
  if (!host_clock(c.u32(0), id)) return kInval;
  struct timespec ts;
  if (::clock_getres(id, &ts) != 0) return from_host_errno(errno);
  return store<uint64_t>(c, c.u32(1), timespec_ns(ts));
}

uint16_t clock_time_get(Call& c) {
  clockid_t id;
  if (!host_clock(c.u32(0), id)) return kInval;
  struct timespec ts;
  if (::clock_gettime(id, &ts) != 0) return from_host_errno(errno);
  return store<uint64_t>(c, c.u32(2), timespec_ns(ts));
}

uint16_t random_get(Call& c) {
  auto span = c.mem.bytes(c.u32(0), c.u32(1));
  if (!span) return kFault;
  uint8_t* p = span->data();
  size_t left = span->size();
  while (left > 0) {
    ssize_t n = ::getrandom(p, left, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return from_host_errno(errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return kSuccess;
}

uint16_t sched_yield_(Call&) {
  ::sched_yield();
  return kSuccess;
}

// Raising a signal in the host process on the guest's behalf would be an escape of its own kind;
// like wasmtime we report the operation as unsupported.
uint16_t proc_raise(Call&) { return kNotSup; }

// Sockets: only descriptors the embedder pre-opened (--tcplisten) and the connections accepted on
// them exist; there is no socket(2)/connect(2) in preview1, so nothing else is reachable.
uint16_t lookup_socket(Call& c, uint32_t fd, uint64_t need, FdEntry*& e) {
  e = c.ctx.get(fd);
  if (e == nullptr) return kBadf;
  if (e->filetype != kSocketStream && e->filetype != kSocketDgram) return kNotSock;
  if ((e->rights_base & need) != need) return kNotCapable;
  return kSuccess;
}

uint16_t sock_accept(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_socket(c, c.u32(0), R::kSockAccept, e)) return r;
  uint32_t flags = c.u32(1);
  if (flags & ~static_cast<uint32_t>(fdflags::kNonblock)) return kInval;
  if (!c.mem.bytes(c.u32(2), 4)) return kFault;
  int fd = ::accept4(e->host, nullptr, nullptr,
                     SOCK_CLOEXEC | ((flags & fdflags::kNonblock) ? SOCK_NONBLOCK : 0));
  if (fd < 0) return from_host_errno(errno);
  auto n = std::make_unique<FdEntry>();
  n->host = fd;
  n->filetype = kSocketStream;
  n->rights_base = R::kSocket & ~R::kSockAccept;
  n->rights_inheriting = 0;
  int64_t gfd = c.ctx.insert(std::move(n));
  if (gfd < 0) {
    ::close(fd);
    return kMfile;
  }
  return store<uint32_t>(c, c.u32(2), static_cast<uint32_t>(gfd));
}

uint16_t sock_recv(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_socket(c, c.u32(0), R::kFdRead, e)) return r;
  uint32_t ri = c.u32(3);
  if (ri & ~static_cast<uint32_t>(kRiRecvPeek | kRiRecvWaitall)) return kInval;
  if (!c.mem.bytes(c.u32(4), 4) || !c.mem.bytes(c.u32(5), 2)) return kFault;
  IoVecs v;
  if (uint16_t r = load_iovecs(c, c.u32(1), c.u32(2), v)) return r;
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = v.data;
  msg.msg_iovlen = static_cast<size_t>(v.count);
  int flags = 0;
  if (ri & kRiRecvPeek) flags |= MSG_PEEK;
  if (ri & kRiRecvWaitall) flags |= MSG_WAITALL;
  ssize_t n = ::recvmsg(e->host, &msg, flags);
  if (n < 0) return from_host_errno(errno);
  uint16_t ro = (msg.msg_flags & MSG_TRUNC) ? kRoRecvDataTruncated : 0;
  if (uint16_t r = store<uint32_t>(c, c.u32(4), static_cast<uint32_t>(n))) return r;
  return store<uint16_t>(c, c.u32(5), ro);
}

uint16_t sock_send(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_socket(c, c.u32(0), R::kFdWrite, e)) return r;
  if (c.u32(3) != 0) return kInval;  // no si_flags are defined
  if (!c.mem.bytes(c.u32(4), 4)) return kFault;
  IoVecs v;
  if (uint16_t r = load_iovecs(c, c.u32(1), c.u32(2), v)) return r;
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = v.data;
  msg.msg_iovlen = static_cast<size_t>(v.count);
  // MSG_NOSIGNAL: a peer that hung up must give the guest EPIPE, not kill the host with SIGPIPE.
  ssize_t n = ::sendmsg(e->host, &msg, MSG_NOSIGNAL);
  if (n < 0) return from_host_errno(errno);
  return store<uint32_t>(c, c.u32(4), static_cast<uint32_t>(n));
}

uint16_t sock_shutdown(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_socket(c, c.u32(0), R::kSockShutdown, e)) return r;
  int how;
  switch (c.u32(1)) {
    case kSdRd: how = SHUT_RD; break;
    case kSdWr: how = SHUT_WR; break;
    case kSdRd | kSdWr: how = SHUT_RDWR; break;
    default: return kInval;
  }
  return ::shutdown(e->host, how) == 0 ? kSuccess : from_host_errno(errno);
}

}  // namespace

extern const FnDef kMiscFunctions[] = {
    {"args_get", "ii", args_get},
    {"args_sizes_get", "ii", args_sizes_get},
    {"environ_get", "ii", environ_get},
    {"environ_sizes_get", "ii", environ_sizes_get},
    {"clock_res_get", "ii", clock_res_get},
    {"clock_time_get", "iIi", clock_time_get},
    {"poll_oneoff", "iiii", poll_oneoff},
    {"proc_raise", "i", proc_raise},
    {"sched_yield", "", sched_yield_},
    {"random_get", "ii", random_get},
    {"sock_accept", "iii", sock_accept},
    {"sock_recv", "iiiiii", sock_recv},
    {"sock_send", "iiiii", sock_send},
    {"sock_shutdown", "ii", sock_shutdown},
};
extern const size_t kMiscFunctionCount = sizeof kMiscFunctions / sizeof kMiscFunctions[0];

}  // namespace wasipool::wasi
