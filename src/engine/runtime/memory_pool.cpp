// MemoryPool: see memory_pool.h.
#include "memory_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace wasipool::runtime {

MemoryPool::~MemoryPool() {
  for (const Slot& s : free_) munmap(s.base, s.reserved);
}

std::optional<MemoryPool::Slot> MemoryPool::take(uint64_t reserved) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = free_.size(); i-- > 0;) {
    if (free_[i].reserved != reserved) continue;
    Slot s = free_[i];
    free_[i] = free_.back();
    free_.pop_back();
    return s;
  }
  return std::nullopt;
}

namespace {
// Zeroes [0, len) keeping the pages resident: only pages that are resident (mincore) can hold data, so
// only those are cleared. Saves the page faults the next store would otherwise take on them.
bool zero_resident(uint8_t* base, uint64_t len) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  unsigned char vec[MemoryPool::kKeepResident / 4096];
  uint64_t pages = (len + page - 1) / page;
  if (pages > sizeof vec || mincore(base, len, vec) != 0) return false;
  for (uint64_t i = 0; i < pages; ++i) {
    if (vec[i] & 1) std::memset(base + i * page, 0, std::min(page, len - i * page));
  }
  return true;
}
}  // namespace

void MemoryPool::give(Slot slot) {
  // One store's data must never be visible to the next. A small prefix is zeroed in place (cheaper
  // than refaulting it); the rest is dropped with MADV_DONTNEED, after which private anonymous pages
  // read as zeros. If either fails, the reservation is not reused.
  uint64_t keep = std::min<uint64_t>(slot.rw, kKeepResident);
  bool clean = keep == 0 || zero_resident(slot.base, keep);
  if (clean && slot.rw > keep) clean = madvise(slot.base + keep, slot.rw - keep, MADV_DONTNEED) == 0;
  if (!clean && slot.rw > 0) clean = madvise(slot.base, slot.rw, MADV_DONTNEED) == 0;
  if (!clean) {
    munmap(slot.base, slot.reserved);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < kMaxFree) {
      free_.push_back(slot);
      return;
    }
  }
  munmap(slot.base, slot.reserved);
}

}  // namespace wasipool::runtime
