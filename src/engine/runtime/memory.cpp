// Linear memory: one PROT_NONE reservation of the whole reachable range, committed page range by page
// range on grow, so `base` never moves for the life of the store.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "memory_pool.h"
#include "runtime.h"

namespace wasipool::runtime {

Result<Ok, engine::Error> init_memory(MemoryInst& mem, const ir::MemoryType& type, const engine::Limits& limits,
                                      MemoryPool* pool) {
  // The store limit caps both what may be declared and what may be grown to: a guest cannot make the
  // host commit more than max_memory_pages * 64 KiB per memory.
  uint64_t cap = std::min<uint64_t>(limits.max_memory_pages, ir::kMaxPages);
  if (type.limits.min > cap) {
    return fail(engine::Error{engine::ErrorKind::Limit,
                              "memory minimum of " + std::to_string(type.limits.min) +
                                  " pages exceeds the limit of " + std::to_string(cap) + " pages"});
  }
  uint64_t max_pages = std::min<uint64_t>(type.limits.max.value_or(ir::kMaxPages), cap);
  max_pages = std::max<uint64_t>(max_pages, type.limits.min);
  // Reserve the whole range once: growth never moves `base`, so host spans and the interpreter's
  // cached base stay valid. A zero-page memory still gets one OS page so `base` is never null.
  uint64_t reserve = std::max<uint64_t>(max_pages * ir::kPageSize, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
  uint64_t initial = type.limits.min * ir::kPageSize;
  if (pool) {
    if (auto slot = pool->take(reserve)) {
      // A recycled reservation arrives zero-filled; fit its read-write prefix to this memory's size so
      // nothing past `size` stays accessible (defence in depth behind the explicit bounds checks).
      bool ok = true;
      if (slot->rw > initial) ok = mprotect(slot->base + initial, slot->rw - initial, PROT_NONE) == 0;
      if (ok && slot->rw < initial) {
        ok = mprotect(slot->base + slot->rw, initial - slot->rw, PROT_READ | PROT_WRITE) == 0;
      }
      if (ok) {
        mem.base = slot->base;
        mem.reserved = reserve;
        mem.max_pages = max_pages;
        mem.size = initial;
        mem.type = type;
        mem.pool = pool;
        return Ok{};
      }
      munmap(slot->base, slot->reserved);
    }
  }
  void* p = mmap(nullptr, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return fail(engine::Error{engine::ErrorKind::Limit,
                              "cannot reserve " + std::to_string(reserve) + " bytes for a memory: " +
                                  std::strerror(errno)});
  }
  mem.base = static_cast<uint8_t*>(p);
  mem.reserved = reserve;
  mem.max_pages = max_pages;
  mem.size = 0;
  mem.type = type;
  if (initial > 0) {
    if (mprotect(mem.base, initial, PROT_READ | PROT_WRITE) != 0) {
      return fail(engine::Error{engine::ErrorKind::Limit,
                                "cannot commit " + std::to_string(initial) + " bytes of memory: " +
                                    std::strerror(errno)});
    }
    mem.size = initial;
  }
  mem.pool = pool;
  return Ok{};
}

int64_t MemoryInst::grow(uint64_t delta_pages) {
  uint64_t old_pages = size / ir::kPageSize;
  // delta_pages comes from the guest (any u32): compare before multiplying so nothing overflows.
  if (delta_pages > max_pages - old_pages) return -1;
  if (delta_pages == 0) return static_cast<int64_t>(old_pages);
  uint64_t new_size = (old_pages + delta_pages) * ir::kPageSize;
  if (new_size > reserved) return -1;
  // Fresh anonymous pages read as zero, as the spec requires of grown memory.
  if (mprotect(base + size, new_size - size, PROT_READ | PROT_WRITE) != 0) return -1;
  size = new_size;
  type.limits.min = old_pages + delta_pages;
  return static_cast<int64_t>(old_pages);
}

MemoryInst::~MemoryInst() {
  if (!base) return;
  if (pool) {
    pool->give({base, reserved, size});
  } else {
    munmap(base, reserved);
  }
}

}  // namespace wasipool::runtime
