// MemoryView and Caller::memory: host access to guest memory, always bounds-checked.
#include <cstring>

#include "../runtime/objects.h"

namespace wasipool::engine {

uint64_t MemoryView::size() const { return mem_ ? mem_->size : 0; }

std::optional<std::span<uint8_t>> MemoryView::bytes(uint64_t addr, uint64_t len) const {
  // Guest-supplied (addr, len): checked as addr <= size && len <= size - addr, which cannot overflow,
  // so a pointer near 2^32 (or 2^64) never wraps back into range.
  if (!mem_ || addr > mem_->size || len > mem_->size - addr) return std::nullopt;
  return std::span<uint8_t>(mem_->base + addr, static_cast<size_t>(len));
}

bool MemoryView::read(uint64_t addr, void* out, uint64_t len) const {
  auto b = bytes(addr, len);
  if (!b) return false;
  if (len) std::memcpy(out, b->data(), static_cast<size_t>(len));
  return true;
}

bool MemoryView::write(uint64_t addr, const void* in, uint64_t len) const {
  auto b = bytes(addr, len);
  if (!b) return false;
  if (len) std::memcpy(b->data(), in, static_cast<size_t>(len));
  return true;
}

MemoryView Caller::memory() {
  if (!instance_) return MemoryView();
  runtime::InstanceData* d = instance_->data();
  // WebAssembly 2.0 has at most one memory, so the exported "memory" is memory 0. With several
  // memories (a later proposal) the export named "memory" decides.
  if (d->memories.size() > 1) {
    for (const ir::Export& e : d->loaded->ir.exports) {
      if (e.kind == ExternKind::Memory && e.name == "memory") return MemoryView(d->memories[e.index]);
    }
  }
  return MemoryView(d->memory0);
}

}  // namespace wasipool::engine
