// Shared plumbing for the WASI host functions: the call frame they receive, fd/rights lookup and
// guest-memory helpers. Every guest pointer and length goes through engine::MemoryView, which checks
// [addr, addr+len) against the memory size in 64-bit arithmetic. Internal to src/wasi.
#pragma once
#include <sys/stat.h>
#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

#include "abi.h"
#include "context.h"
#include "wasipool/engine.h"

namespace wasipool::wasi {

struct Call {
  Context& ctx;
  engine::MemoryView mem;
  const uint64_t* a;  // raw argument slots in FuncType order
  abi::Flavor flavor;

  uint32_t u32(int i) const { return static_cast<uint32_t>(a[i]); }
  uint64_t u64(int i) const { return a[i]; }
};

// A WASI function body: returns the errno the guest sees.
using WasiFn = uint16_t (*)(Call&);

// The fd must be open and carry every right in `needed` (rights are the guest-visible contract;
// the host-side read_only bit and host open mode are enforced separately).
inline uint16_t lookup_fd(Call& c, uint32_t fd, uint64_t needed, FdEntry*& out) {
  out = c.ctx.get(fd);
  if (out == nullptr) return abi::kBadf;
  if ((out->rights_base & needed) != needed) return abi::kNotCapable;
  return abi::kSuccess;
}

// As lookup_fd, and the fd must be a directory (the base of a path operation).
inline uint16_t lookup_dir(Call& c, uint32_t fd, uint64_t needed, FdEntry*& out) {
  out = c.ctx.get(fd);
  if (out == nullptr) return abi::kBadf;
  if (out->filetype != abi::kDirectory) return abi::kNotDir;
  if ((out->rights_base & needed) != needed) return abi::kNotCapable;
  return abi::kSuccess;
}

// Copies a guest string (not NUL-terminated) out of memory before it is used: the guest cannot
// change it under us between the checks and the syscall.
inline uint16_t read_string(Call& c, uint32_t ptr, uint32_t len, std::string& out) {
  auto span = c.mem.bytes(ptr, len);
  if (!span) return abi::kFault;
  // Paths and link targets are far below this; a 4 GiB "path" must not become a 4 GiB host copy.
  if (len >= 65536) return abi::kNameTooLong;
  out.assign(reinterpret_cast<const char*>(span->data()), span->size());
  return abi::kSuccess;
}

template <class T>
inline uint16_t store(Call& c, uint32_t ptr, T v) {
  return c.mem.store<T>(ptr, v) ? abi::kSuccess : abi::kFault;
}

// Scatter/gather list converted to host iovecs. The guest's iovec array is copied first (one bounds
// check for the whole array), then every buffer is bounds-checked; buffers themselves are used in
// place. More than IOV_MAX entries are truncated, which the ABI allows (a short read/write).
struct IoVecs {
  static constexpr uint32_t kInline = 16;
  struct iovec inline_[kInline];
  std::vector<struct iovec> heap_;
  struct iovec* data = inline_;
  int count = 0;
  uint64_t total = 0;
};
uint16_t load_iovecs(Call& c, uint32_t iovs_ptr, uint32_t iovs_len, IoVecs& out);

// Writes a filestat record in the call's flavor layout.
uint16_t store_filestat(Call& c, uint32_t ptr, const struct stat& st);
uint64_t timespec_ns(const struct timespec& ts);

// The function tables, defined next to their implementations.
struct FnDef {
  const char* name;
  const char* params;  // 'i' = i32, 'I' = i64; the result is always one i32 errno
  WasiFn fn;
};
extern const FnDef kFdFunctions[];
extern const size_t kFdFunctionCount;
extern const FnDef kPathFunctions[];
extern const size_t kPathFunctionCount;
extern const FnDef kMiscFunctions[];
extern const size_t kMiscFunctionCount;

}  // namespace wasipool::wasi
