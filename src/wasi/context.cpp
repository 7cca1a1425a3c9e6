// Context construction (preopens, stdio, listening sockets), the fd table and errno mapping.
#include "wasi.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace wasipool::wasi {

uint16_t abi::from_host_errno(int e) {
  switch (e) {
    case 0: return kSuccess;
    case E2BIG: return k2Big;
    case EACCES: return kAcces;
    case EADDRINUSE: return kAddrInUse;
    case EADDRNOTAVAIL: return kAddrNotAvail;
    case EAFNOSUPPORT: return kAfNoSupport;
    case EAGAIN: return kAgain;
    case EALREADY: return kAlready;
    case EBADF: return kBadf;
    case EBADMSG: return kBadMsg;
    case EBUSY: return kBusy;
    case ECANCELED: return kCanceled;
    case ECHILD: return kChild;
    case ECONNABORTED: return kConnAborted;
    case ECONNREFUSED: return kConnRefused;
    case ECONNRESET: return kConnReset;
    case EDEADLK: return kDeadlk;
    case EDESTADDRREQ: return kDestAddrReq;
    case EDOM: return kDom;
    case EDQUOT: return kDquot;
    case EEXIST: return kExist;
    case EFAULT: return kFault;
    case EFBIG: return kFbig;
    case EHOSTUNREACH: return kHostUnreach;
    case EIDRM: return kIdrm;
    case EILSEQ: return kIlseq;
    case EINPROGRESS: return kInProgress;
    case EINTR: return kIntr;
    case EINVAL: return kInval;
    case EIO: return kIo;
    case EISCONN: return kIsConn;
    case EISDIR: return kIsDir;
    case ELOOP: return kLoop;
    case EMFILE: return kMfile;
    case EMLINK: return kMlink;
    case EMSGSIZE: return kMsgSize;
    case EMULTIHOP: return kMultihop;
    case ENAMETOOLONG: return kNameTooLong;
    case ENETDOWN: return kNetDown;
    case ENETRESET: return kNetReset;
    case ENETUNREACH: return kNetUnreach;
    case ENFILE: return kNfile;
    case ENOBUFS: return kNoBufs;
    case ENODEV: return kNoDev;
    case ENOENT: return kNoEnt;
    case ENOEXEC: return kNoExec;
    case ENOLCK: return kNoLck;
    case ENOLINK: return kNoLink;
    case ENOMEM: return kNoMem;
    case ENOMSG: return kNoMsg;
    case ENOPROTOOPT: return kNoProtoOpt;
    case ENOSPC: return kNoSpc;
    case ENOSYS: return kNoSys;
    case ENOTCONN: return kNotConn;
    case ENOTDIR: return kNotDir;
    case ENOTEMPTY: return kNotEmpty;
    case ENOTRECOVERABLE: return kNotRecoverable;
    case ENOTSOCK: return kNotSock;
    case EOPNOTSUPP: return kNotSup;
    case ENOTTY: return kNotTy;
    case ENXIO: return kNxio;
    case EOVERFLOW: return kOverflow;
    case EOWNERDEAD: return kOwnerDead;
    case EPERM: return kPerm;
    case EPIPE: return kPipe;
    case EPROTO: return kProto;
    case EPROTONOSUPPORT: return kProtoNoSupport;
    case EPROTOTYPE: return kProtoType;
    case ERANGE: return kRange;
    case EROFS: return kRofs;
    case ESPIPE: return kSpipe;
    case ESRCH: return kSrch;
    case ESTALE: return kStale;
    case ETIMEDOUT: return kTimedOut;
    case ETXTBSY: return kTxtBsy;
    case EXDEV: return kXdev;
    default: return kIo;
  }
}

uint8_t filetype_of_mode(uint32_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return abi::kRegularFile;
    case S_IFDIR: return abi::kDirectory;
    case S_IFCHR: return abi::kCharacterDevice;
    case S_IFBLK: return abi::kBlockDevice;
    case S_IFLNK: return abi::kSymbolicLink;
    case S_IFSOCK: return abi::kSocketStream;  // refined with SO_TYPE where it matters
    default: return abi::kUnknown;             // FIFOs have no WASI filetype
  }
}

void close_entry(FdEntry& e) {
  if (e.owned && e.host >= 0) ::close(e.host);
  e.host = -1;
}

Context::~Context() {
  for (auto& e : table_)
    if (e) close_entry(*e);
}

int64_t Context::insert(std::unique_ptr<FdEntry> e) {
  // Lowest free slot: POSIX-like, deterministic numbering (tests and guests rely on stability).
  for (size_t i = 3; i < table_.size(); ++i) {
    if (!table_[i]) {
      table_[i] = std::move(e);
      return static_cast<int64_t>(i);
    }
  }
  constexpr size_t kMaxFds = 1u << 20;  // far below 2^31, the ABI's promise
  if (table_.size() >= kMaxFds) return -1;
  if (table_.size() < 3) table_.resize(3);
  table_.push_back(std::move(e));
  return static_cast<int64_t>(table_.size() - 1);
}

void Context::place(uint32_t fd, std::unique_ptr<FdEntry> e) {
  if (fd >= table_.size()) table_.resize(fd + 1);
  if (table_[fd]) close_entry(*table_[fd]);
  table_[fd] = std::move(e);
}

std::unique_ptr<FdEntry> Context::take(uint32_t fd) {
  if (fd >= table_.size()) return nullptr;
  return std::move(table_[fd]);
}

namespace {

std::unique_ptr<FdEntry> stdio_entry(int host, bool out) {
  auto e = std::make_unique<FdEntry>();
  e->host = host;
  e->owned = false;
  struct stat st;
  bool known = ::fstat(host, &st) == 0;
  e->filetype = known ? filetype_of_mode(st.st_mode) : static_cast<uint8_t>(abi::kUnknown);
  // Only a character device (or what fstat cannot name) can be a terminal: files, pipes and sockets
  // skip the ioctl (an HTTP host builds a context per request).
  bool tty = (!known || S_ISCHR(st.st_mode) || e->filetype == abi::kUnknown) && ::isatty(host);
  if (e->filetype == abi::kUnknown && tty) e->filetype = abi::kCharacterDevice;
  e->rights_base = abi::rights::kFile & ~(out ? abi::rights::kFdRead : abi::rights::kFdWrite);
  // A terminal cannot seek: not advertising it is also how wasi-libc's isatty() recognises one.
  // (Pipes and /dev/null keep the rights; a pipe then gets ESPIPE from the kernel, as on POSIX.)
  if (tty)
    e->rights_base &= ~(abi::rights::kFdSeek | abi::rights::kFdTell);
  e->rights_inheriting = 0;
  return e;
}

}  // namespace

Result<std::unique_ptr<Context>, std::string> make_context(Config config) {
  auto ctx = std::make_unique<Context>();
  // A guest writing to a closed pipe or socket must get EPIPE as an errno, not have the whole
  // host process killed by SIGPIPE.
  // (Once per process: it cannot be undone by a guest, and a syscall per context adds up.)
  static const bool sigpipe_ignored = ::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
  (void)sigpipe_ignored;
  ctx->args = std::move(config.args);
  ctx->env = std::move(config.env);
  if (const char* m = std::getenv("WASIPOOL_WASI_RESOLVE")) {
    // Lets the escape corpus run every case under both resolvers.
    if (std::strcmp(m, "walk") == 0) ctx->resolve_mode = ResolveMode::Walk;
    if (std::strcmp(m, "openat2") == 0) ctx->resolve_mode = ResolveMode::Openat2;
  }
  ctx->place(0, stdio_entry(config.stdin_fd, false));
  ctx->place(1, stdio_entry(config.stdout_fd, true));
  ctx->place(2, stdio_entry(config.stderr_fd, true));
  for (const Preopen& p : config.preopens) {
    int fd = ::open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return fail("cannot open directory '" + p.host_path + "': " + std::strerror(errno));
    auto e = std::make_unique<FdEntry>();
    e->host = fd;
    e->filetype = abi::kDirectory;
    e->is_preopen = true;
    e->preopen_name = p.guest_path.empty() ? p.host_path : p.guest_path;
    e->read_only = p.read_only;
    e->rights_base = abi::rights::kDirectory;
    e->rights_inheriting = abi::rights::kDirectory | abi::rights::kFile;
    if (p.read_only) {
      // Advertise the truth so well-behaved guests never try; enforcement is `read_only` itself.
      e->rights_base &= ~abi::rights::kMutating;
      e->rights_inheriting &= ~abi::rights::kMutating;
    }
    if (ctx->insert(std::move(e)) < 0) return fail(std::string("too many preopens"));
  }
  for (int lfd : config.listen_fds) {
    auto e = std::make_unique<FdEntry>();
    e->host = lfd;
    e->is_listener = true;
    e->filetype = abi::kSocketStream;
    e->rights_base = abi::rights::kSockAccept | abi::rights::kPollFdReadwrite |
                     abi::rights::kFdFilestatGet | abi::rights::kFdFdstatSetFlags |
                     abi::rights::kSockShutdown | abi::rights::kFdRead | abi::rights::kFdWrite;
    e->rights_inheriting = abi::rights::kSocket;
    if (ctx->insert(std::move(e)) < 0) return fail(std::string("too many listening sockets"));
  }
  return ctx;
}

}  // namespace wasipool::wasi
