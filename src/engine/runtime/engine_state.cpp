// EngineState: the engine-wide canonical function-type registry (structurally equal function types
// from any module get the same 32-bit id, so call_indirect and import matching compare one integer)
// and the pool of recycled memory reservations.
#include <mutex>
#include <unordered_map>

#include "memory_pool.h"
#include "objects.h"

namespace wasipool::runtime {

namespace {
struct FuncTypeHash {
  size_t operator()(const ir::FuncType& t) const {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the encoded types, params then a separator
    auto mix = [&h](uint8_t b) { h = (h ^ b) * 0x100000001b3ull; };
    for (auto v : t.params) mix(static_cast<uint8_t>(v));
    mix(0x40);
    for (auto v : t.results) mix(static_cast<uint8_t>(v));
    return static_cast<size_t>(h);
  }
};
}  // namespace

struct EngineState::Impl {
  std::mutex mu;
  std::unordered_map<ir::FuncType, uint32_t, FuncTypeHash> ids;
  MemoryPool pool;
};

EngineState::EngineState(engine::EngineConfig config)
    : config_(std::move(config)), impl_(std::make_shared<Impl>()) {}

EngineState::~EngineState() = default;

MemoryPool& EngineState::memory_pool() const { return impl_->pool; }

uint32_t EngineState::intern(const ir::FuncType& type) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto [it, inserted] = impl_->ids.try_emplace(type, static_cast<uint32_t>(impl_->ids.size()));
  return it->second;
}

}  // namespace wasipool::runtime
