// fd_* functions: I/O, metadata and table management on open descriptors.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "host.h"

namespace wasipool::wasi {

using namespace abi;
namespace R = abi::rights;

uint64_t timespec_ns(const struct timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint16_t store_filestat(Call& c, uint32_t ptr, const struct stat& st) {
  const FilestatLayout& L = filestat_layout(c.flavor);
  uint8_t rec[64] = {};
  auto put64 = [&](uint32_t off, uint64_t v) { std::memcpy(rec + off, &v, 8); };
  put64(L.dev, static_cast<uint64_t>(st.st_dev));
  put64(L.ino, static_cast<uint64_t>(st.st_ino));
  rec[L.filetype] = filetype_of_mode(st.st_mode);
  if (L.nlink_bytes == 8) {
    put64(L.nlink, static_cast<uint64_t>(st.st_nlink));
  } else {
    uint32_t n = static_cast<uint32_t>(st.st_nlink);
    std::memcpy(rec + L.nlink, &n, 4);
  }
  put64(L.fsize, static_cast<uint64_t>(st.st_size));
  put64(L.atim, timespec_ns(st.st_atim));
  put64(L.mtim, timespec_ns(st.st_mtim));
  put64(L.ctim, timespec_ns(st.st_ctim));
  return c.mem.write(ptr, rec, L.size) ? kSuccess : kFault;
}

uint16_t load_iovecs(Call& c, uint32_t iovs_ptr, uint32_t iovs_len, IoVecs& out) {
  uint32_t n = iovs_len > IOV_MAX ? IOV_MAX : iovs_len;
  // One bounds check (64-bit) for the whole guest iovec array, then a private copy of it: the guest
  // cannot retarget a buffer between our check and the syscall.
  auto arr = c.mem.bytes(iovs_ptr, static_cast<uint64_t>(iovs_len) * kIovecSize);
  if (!arr) return kFault;
  if (n > IoVecs::kInline) {
    out.heap_.resize(n);
    out.data = out.heap_.data();
  }
  const uint8_t* p = arr->data();
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t buf, len;
    std::memcpy(&buf, p + i * kIovecSize, 4);
    std::memcpy(&len, p + i * kIovecSize + 4, 4);
    auto span = c.mem.bytes(buf, len);  // each buffer must lie wholly inside memory
    if (!span) return kFault;
    out.data[i].iov_base = span->data();
    out.data[i].iov_len = len;
    out.total += len;
  }
  out.count = static_cast<int>(n);
  return kSuccess;
}

namespace {

// Offsets from the guest are u64; the host's off_t is signed. Values past INT64_MAX are invalid
// rather than silently becoming negative offsets.
bool to_off(uint64_t v, off_t& out) {
  if (v > static_cast<uint64_t>(INT64_MAX)) return false;
  out = static_cast<off_t>(v);
  return true;
}

uint16_t errno_now() { return from_host_errno(errno); }

// For a guest-set NONBLOCK on a descriptor shared with the host (see FdEntry::emulated_nonblock):
// EAGAIN unless the descriptor is ready for `events` right now.
bool would_block(const FdEntry& e, short events) {
  if (!e.emulated_nonblock) return false;
  pollfd p{e.host, events, 0};
  return ::poll(&p, 1, 0) == 0;
}

uint16_t fd_write(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdWrite, e)) return r;
  IoVecs v;
  if (uint16_t r = load_iovecs(c, c.u32(1), c.u32(2), v)) return r;
  // The result pointer is checked before the I/O: an EFAULT must not hide a write that happened.
  if (!c.mem.bytes(c.u32(3), 4)) return kFault;
  if (would_block(*e, POLLOUT)) return from_host_errno(EAGAIN);
  ssize_t n = v.count == 1 ? ::write(e->host, v.data[0].iov_base, v.data[0].iov_len)
                           : ::writev(e->host, v.data, v.count);
  if (n < 0) return errno_now();
  return store<uint32_t>(c, c.u32(3), static_cast<uint32_t>(n));
}

uint16_t fd_read(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdRead, e)) return r;
  IoVecs v;
  if (uint16_t r = load_iovecs(c, c.u32(1), c.u32(2), v)) return r;
  if (!c.mem.bytes(c.u32(3), 4)) return kFault;
  if (would_block(*e, POLLIN)) return from_host_errno(EAGAIN);
  ssize_t n = ::readv(e->host, v.data, v.count);
  if (n < 0) return errno_now();
  return store<uint32_t>(c, c.u32(3), static_cast<uint32_t>(n));
}

// fd_pread and fd_pwrite: (fd, iovs, iovs_len, offset, ->n) at an explicit offset; `io` is preadv or pwritev.
uint16_t positioned_io(Call& c, uint64_t right, ssize_t (*io)(int, const iovec*, int, off_t)) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), right | R::kFdSeek, e)) return r;
  IoVecs v;
  if (uint16_t r = load_iovecs(c, c.u32(1), c.u32(2), v)) return r;
  off_t off;
  if (!to_off(c.u64(3), off)) return kInval;
  if (!c.mem.bytes(c.u32(4), 4)) return kFault;
  ssize_t n = io(e->host, v.data, v.count, off);
  if (n < 0) return errno_now();
  return store<uint32_t>(c, c.u32(4), static_cast<uint32_t>(n));
}

uint16_t fd_pread(Call& c) { return positioned_io(c, R::kFdRead, ::preadv); }
uint16_t fd_pwrite(Call& c) { return positioned_io(c, R::kFdWrite, ::pwritev); }

uint16_t fd_seek(Call& c) {
  Whence w = decode_whence(c.flavor, c.u32(2));
  int64_t delta = static_cast<int64_t>(c.u64(1));
  // fd_tell's right suffices for a seek that cannot move the offset.
  uint64_t need = (w == Whence::Cur && delta == 0) ? R::kFdTell : R::kFdSeek;
  FdEntry* e = c.ctx.get(c.u32(0));
  if (e == nullptr) return kBadf;
  if ((e->rights_base & need) != need && (e->rights_base & R::kFdSeek) == 0) return kNotCapable;
  int how;
  switch (w) {
    case Whence::Set: how = SEEK_SET; break;
    case Whence::Cur: how = SEEK_CUR; break;
    case Whence::End: how = SEEK_END; break;
    default: return kInval;
  }
  if (!c.mem.bytes(c.u32(3), 8)) return kFault;  // before moving the offset
  off_t r = ::lseek(e->host, delta, how);
  if (r < 0) return errno_now();
  return store<uint64_t>(c, c.u32(3), static_cast<uint64_t>(r));
}

uint16_t fd_tell(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdTell, e)) return r;
  off_t r = ::lseek(e->host, 0, SEEK_CUR);
  if (r < 0) return errno_now();
  return store<uint64_t>(c, c.u32(1), static_cast<uint64_t>(r));
}

uint16_t fd_close(Call& c) {
  auto e = c.ctx.take(c.u32(0));
  if (!e) return kBadf;
  close_entry(*e);
  return kSuccess;
}

uint16_t fd_renumber(Call& c) {
  uint32_t from = c.u32(0), to = c.u32(1);
  if (c.ctx.get(from) == nullptr || c.ctx.get(to) == nullptr) return kBadf;
  if (from == to) return kSuccess;
  c.ctx.place(to, c.ctx.take(from));  // closes the old `to`
  return kSuccess;
}

uint16_t fd_advise(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdAdvise, e)) return r;
  off_t off, len;
  if (!to_off(c.u64(1), off) || !to_off(c.u64(2), len)) return kInval;
  int adv;
  switch (c.u32(3)) {
    case 0: adv = POSIX_FADV_NORMAL; break;
    case 1: adv = POSIX_FADV_SEQUENTIAL; break;
    case 2: adv = POSIX_FADV_RANDOM; break;
    case 3: adv = POSIX_FADV_WILLNEED; break;
    case 4: adv = POSIX_FADV_DONTNEED; break;
    case 5: adv = POSIX_FADV_NOREUSE; break;
    default: return kInval;
  }
  if (e->filetype == kDirectory) return kSuccess;  // advisory only; Linux has nothing to do
  int r = ::posix_fadvise(e->host, off, len, adv);
  return r == 0 ? kSuccess : from_host_errno(r);
}

uint16_t fd_allocate(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdAllocate, e)) return r;
  if (e->read_only) return kNotCapable;
  off_t off, len;
  if (!to_off(c.u64(1), off) || !to_off(c.u64(2), len)) return kInval;
  if (len == 0) return kInval;
  if (off > INT64_MAX - len) return kFbig;
  int r = ::posix_fallocate(e->host, off, len);
  return r == 0 ? kSuccess : from_host_errno(r);
}

uint16_t fd_datasync(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdDatasync, e)) return r;
  return ::fdatasync(e->host) == 0 ? kSuccess : errno_now();
}

uint16_t fd_sync(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdSync, e)) return r;
  return ::fsync(e->host) == 0 ? kSuccess : errno_now();
}

uint8_t precise_filetype(const FdEntry& e) {
  if (e.filetype != kSocketStream) return e.filetype;
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(e.host, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
    return kSocketDgram;
  return kSocketStream;
}

uint16_t fd_fdstat_get(Call& c) {
  FdEntry* e = c.ctx.get(c.u32(0));
  if (e == nullptr) return kBadf;
  int fl = ::fcntl(e->host, F_GETFL);
  if (fl < 0) return errno_now();
  uint16_t flags = 0;
  if (fl & O_APPEND) flags |= fdflags::kAppend;
  if ((fl & O_NONBLOCK) || e->emulated_nonblock) flags |= fdflags::kNonblock;
  if ((fl & O_SYNC) == O_SYNC) flags |= fdflags::kSync;
  else if (fl & O_DSYNC) flags |= fdflags::kDsync;
  uint8_t rec[kFdstatSize] = {};
  rec[0] = precise_filetype(*e);
  std::memcpy(rec + 2, &flags, 2);
  std::memcpy(rec + 8, &e->rights_base, 8);
  std::memcpy(rec + 16, &e->rights_inheriting, 8);
  return c.mem.write(c.u32(1), rec, sizeof rec) ? kSuccess : kFault;
}

uint16_t fd_fdstat_set_flags(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdFdstatSetFlags, e)) return r;
  uint32_t want = c.u32(1);
  if (want & ~0x1fu) return kInval;
  // Linux cannot change O_SYNC/O_DSYNC after open (F_SETFL ignores them): refuse rather than lie.
  if (want & (fdflags::kDsync | fdflags::kRsync | fdflags::kSync)) return kNotSup;
  int fl = ::fcntl(e->host, F_GETFL);
  if (fl < 0) return errno_now();
  if (!e->owned) {
    // Shared with the host: never F_SETFL (see FdEntry::emulated_nonblock). APPEND cannot be emulated
    // faithfully, so only the host's current APPEND state is accepted.
    if (((want & fdflags::kAppend) != 0) != ((fl & O_APPEND) != 0)) return kNotSup;
    e->emulated_nonblock = (want & fdflags::kNonblock) != 0;
    return kSuccess;
  }
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (want & fdflags::kAppend) fl |= O_APPEND;
  if (want & fdflags::kNonblock) fl |= O_NONBLOCK;
  return ::fcntl(e->host, F_SETFL, fl) == 0 ? kSuccess : errno_now();
}

uint16_t fd_fdstat_set_rights(Call& c) {
  FdEntry* e = c.ctx.get(c.u32(0));
  if (e == nullptr) return kBadf;
  uint64_t base = c.u64(1), inh = c.u64(2);
  // Rights that cannot apply to this kind of fd are dropped silently (as path_open may do);
  // among the rest, rights only ever shrink: a guest cannot re-grant what it (or a read-only
  // preopen) lost.
  uint64_t applicable = e->filetype == kDirectory ? R::kDirectory
                        : (e->filetype == kSocketStream || e->filetype == kSocketDgram)
                            ? R::kSocket
                            : R::kFile;
  base &= applicable;
  inh &= e->filetype == kDirectory ? R::kAll : e->rights_inheriting;
  if ((base & ~e->rights_base) != 0 || (inh & ~e->rights_inheriting) != 0) return kNotCapable;
  e->rights_base = base;
  e->rights_inheriting = inh;
  return kSuccess;
}

uint16_t fd_filestat_get(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdFilestatGet, e)) return r;
  struct stat st;
  if (::fstat(e->host, &st) != 0) return errno_now();
  return store_filestat(c, c.u32(1), st);
}

uint16_t fd_filestat_set_size(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdFilestatSetSize, e)) return r;
  if (e->read_only) return kNotCapable;  // truncation through a read-only preopen
  off_t size;
  if (!to_off(c.u64(1), size)) return kInval;
  return ::ftruncate(e->host, size) == 0 ? kSuccess : errno_now();
}

}  // namespace

// Shared with path_filestat_set_times. Returns kSuccess and fills `ts`, or INVAL for contradictory
// or unknown flags.
uint16_t make_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]) {
  if (fst & ~0xfu) return kInval;
  if ((fst & fstflags::kAtim) && (fst & fstflags::kAtimNow)) return kInval;
  if ((fst & fstflags::kMtim) && (fst & fstflags::kMtimNow)) return kInval;
  auto one = [](uint64_t ns, bool set, bool now, struct timespec& t) {
    if (now) {
      t.tv_sec = 0;
      t.tv_nsec = UTIME_NOW;
    } else if (set) {
      t.tv_sec = static_cast<time_t>(ns / 1'000'000'000ull);
      t.tv_nsec = static_cast<long>(ns % 1'000'000'000ull);
    } else {
      t.tv_sec = 0;
      t.tv_nsec = UTIME_OMIT;
    }
  };
  one(atim, fst & fstflags::kAtim, fst & fstflags::kAtimNow, ts[0]);
  one(mtim, fst & fstflags::kMtim, fst & fstflags::kMtimNow, ts[1]);
  return kSuccess;
}

namespace {

uint16_t fd_filestat_set_times(Call& c) {
  FdEntry* e;
  if (uint16_t r = lookup_fd(c, c.u32(0), R::kFdFilestatSetTimes, e)) return r;
  struct timespec ts[2];
  if (uint16_t r = make_times(c.u64(1), c.u64(2), c.u32(3), ts)) return r;
  if (e->read_only) return kNotCapable;
  return ::futimens(e->host, ts) == 0 ? kSuccess : errno_now();
}

uint16_t fd_prestat_get(Call& c) {
  FdEntry* e = c.ctx.get(c.u32(0));
  if (e == nullptr || !e->is_preopen) return kBadf;
  uint8_t rec[kPrestatSize] = {};
  rec[0] = kPreopenTypeDir;
  uint32_t len = static_cast<uint32_t>(e->preopen_name.size());
  std::memcpy(rec + 4, &len, 4);
  return c.mem.write(c.u32(1), rec, sizeof rec) ? kSuccess : kFault;
}

uint16_t fd_prestat_dir_name(Call& c) {
  FdEntry* e = c.ctx.get(c.u32(0));
  if (e == nullptr || !e->is_preopen) return kBadf;
  uint32_t cap = c.u32(2);
  if (cap < e->preopen_name.size()) return kNameTooLong;
  return c.mem.write(c.u32(1), e->preopen_name.data(), e->preopen_name.size()) ? kSuccess : kFault;
}

uint8_t dirent_type(unsigned char d_type) {
  switch (d_type) {
    case DT_REG: return kRegularFile;
    case DT_DIR: return kDirectory;
    case DT_LNK: return kSymbolicLink;
    case DT_CHR: return kCharacterDevice;
    case DT_BLK: return kBlockDevice;
    case DT_SOCK: return kSocketStream;
    default: return kUnknown;
  }
}

uint16_t read_listing(FdEntry& e) {
  if (!e.listing) e.listing = std::make_unique<DirListing>();
  DirListing& L = *e.listing;
  L.entries.clear();
  L.valid = false;
  // getdents64 on our own descriptor (rewound): fdopendir would take ownership of it.
  if (::lseek(e.host, 0, SEEK_SET) < 0) return errno_now();
  alignas(8) char buf[16384];
  for (;;) {
    long n = ::syscall(SYS_getdents64, e.host, buf, sizeof buf);
    if (n < 0) return errno_now();
    if (n == 0) break;
    for (long off = 0; off < n;) {
      struct linux_dirent64 {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
      };
      auto* d = reinterpret_cast<linux_dirent64*>(buf + off);
      DirListing::Entry ent;
      ent.name = d->d_name;
      ent.ino = d->d_ino;
      ent.type = dirent_type(d->d_type);
      if (d->d_type == DT_UNKNOWN) {
        struct stat st;
        if (::fstatat(e.host, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
          ent.type = filetype_of_mode(st.st_mode);
      }
      L.entries.push_back(std::move(ent));
      off += d->d_reclen;
    }
  }
  L.valid = true;
  return kSuccess;
}

uint16_t fd_readdir(Call& c) {
  FdEntry* e = c.ctx.get(c.u32(0));
  if (e == nullptr) return kBadf;
  if (e->filetype != kDirectory) return kNotDir;
  if ((e->rights_base & R::kFdReaddir) == 0) return kNotCapable;
  uint32_t buf = c.u32(1), buf_len = c.u32(2);
  uint64_t cookie = c.u64(3);
  auto out = c.mem.bytes(buf, buf_len);
  if (!out) return kFault;
  // Cookie 0 (a rewind) takes a fresh listing; any other cookie indexes the current one, so
  // cookies handed out earlier keep meaning the same entry.
  if (cookie == 0 || !e->listing || !e->listing->valid)
    if (uint16_t r = read_listing(*e)) return r;
  const auto& entries = e->listing->entries;
  uint32_t used = 0;
  for (uint64_t i = cookie; i < entries.size() && used < buf_len; ++i) {
    const auto& ent = entries[i];
    uint8_t hdr[kDirentSize] = {};
    uint64_t next = i + 1;
    uint32_t namlen = static_cast<uint32_t>(ent.name.size());
    std::memcpy(hdr, &next, 8);
    std::memcpy(hdr + 8, &ent.ino, 8);
    std::memcpy(hdr + 16, &namlen, 4);
    hdr[20] = ent.type;
    // Fill the buffer completely, truncating the last entry: that is how the guest learns it
    // must grow its buffer.
    uint32_t n = std::min<uint32_t>(kDirentSize, buf_len - used);
    std::memcpy(out->data() + used, hdr, n);
    used += n;
    n = std::min<uint32_t>(namlen, buf_len - used);
    std::memcpy(out->data() + used, ent.name.data(), n);
    used += n;
  }
  return store<uint32_t>(c, c.u32(4), used);
}

}  // namespace

extern const FnDef kFdFunctions[] = {
    {"fd_advise", "iIIi", fd_advise},
    {"fd_allocate", "iII", fd_allocate},
    {"fd_close", "i", fd_close},
    {"fd_datasync", "i", fd_datasync},
    {"fd_fdstat_get", "ii", fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", fd_filestat_get},
    {"fd_filestat_set_size", "iI", fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", fd_filestat_set_times},
    {"fd_pread", "iiiIi", fd_pread},
    {"fd_prestat_get", "ii", fd_prestat_get},
    {"fd_prestat_dir_name", "iii", fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi", fd_pwrite},
    {"fd_read", "iiii", fd_read},
    {"fd_readdir", "iiiIi", fd_readdir},
    {"fd_renumber", "ii", fd_renumber},
    {"fd_seek", "iIii", fd_seek},
    {"fd_sync", "i", fd_sync},
    {"fd_tell", "ii", fd_tell},
    {"fd_write", "iiii", fd_write},
};
extern const size_t kFdFunctionCount = sizeof kFdFunctions / sizeof kFdFunctions[0];

}  // namespace wasipool::wasi
