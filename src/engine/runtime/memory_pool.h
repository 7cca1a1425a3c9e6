// MemoryPool: recycles linear-memory reservations across stores of one engine. A host that creates a
// fresh store per request would otherwise map and unmap a 4 GiB PROT_NONE range (and rebuild its page
// tables) every time; the kernel work for that dominated instantiation. Thread-safe.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace wasipool::runtime {

class MemoryPool {
 public:
  // A reservation of `reserved` bytes at `base`; [0, rw) is read-write, the rest PROT_NONE.
  struct Slot {
    uint8_t* base = nullptr;
    uint64_t reserved = 0;
    uint64_t rw = 0;
  };
  static constexpr size_t kMaxFree = 64;  // bounds the address space parked here (64 x 4 GiB at most)
  // Bytes at the start of a parked memory kept resident (zeroed in place), so small memories need no
  // page faults on reuse; bounds the RAM parked here to kMaxFree x 1 MiB.
  static constexpr uint64_t kKeepResident = 1 << 20;

  MemoryPool() = default;
  ~MemoryPool();
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  // A zero-filled reservation of exactly `reserved` bytes, if one is parked.
  std::optional<Slot> take(uint64_t reserved);
  // Parks a reservation (its contents are discarded first, so the next user sees zeros), or unmaps it
  // when the pool is full or discarding fails.
  void give(Slot slot);

 private:
  std::mutex mu_;
  std::vector<Slot> free_;
};

}  // namespace wasipool::runtime
