// Runtime objects: what a Store owns. Shared by runtime/ (which creates and initialises them) and the
// execution tiers (which read and mutate them while running guest code). Not part of the public API.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "../api/wasipool/engine.h"
#include "../ir/module.h"

namespace wasipool::interp {
struct CompiledModule;   // the interpreter's form of every defined function of a module
struct CompiledFunc;
}  // namespace wasipool::interp

namespace wasipool::runtime {

class MemoryPool;  // recycled memory reservations (runtime/memory_pool.h)

// Engine-wide state: the canonical function-type registry, so call_indirect compares one integer
// even across modules (two structurally equal types get the same id). Thread-safe.
class EngineState {
 public:
  explicit EngineState(engine::EngineConfig config);  // defined in runtime/engine_state.cpp
  ~EngineState();
  uint32_t intern(const ir::FuncType& type);  // mutex inside; called at load, never while running
  const engine::EngineConfig& config() const { return config_; }
  MemoryPool& memory_pool() const;            // thread-safe; outlives every store of the engine

 private:
  engine::EngineConfig config_;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// A decoded + validated + compiled module, immutable.
struct LoadedModule {
  ir::Module ir;
  ir::ConstantTable constants;     // from validation, for the tier's compiler
  std::vector<uint32_t> type_ids;  // ir.types[i] -> canonical id
  std::unique_ptr<interp::CompiledModule, void (*)(interp::CompiledModule*)> code{nullptr, nullptr};
};

// Linear memory. The whole maximum (bounded by Limits::max_memory_pages) is reserved PROT_NONE once;
// growing makes more of it read-write in place. So `base` never moves: host spans stay valid and the
// interpreter may cache it. Every guest access is still bounds-checked against `size` explicitly.
struct MemoryInst {
  uint8_t* base = nullptr;
  uint64_t size = 0;          // bytes currently accessible = pages * 64 KiB
  uint64_t max_pages = 0;     // min(declared max, 65536, store limit)
  uint64_t reserved = 0;      // bytes reserved at base
  ir::MemoryType type;        // as declared/created (limits.min updated on grow for import matching)
  MemoryPool* pool = nullptr; // where the reservation goes back on destruction (null: munmap)

  // Returns the old size in pages, or -1 when the grow would pass max_pages (memory unchanged).
  int64_t grow(uint64_t delta_pages);
  ~MemoryInst();
};

// A table of references. Slot encoding as in engine::Value::bits: 0 = null, funcref = FuncInst*.
struct TableInst {
  std::vector<uint64_t> elems;
  ir::TableType type;         // limits.min updated on grow
  uint64_t max = 0;           // min(declared max, store limit)
  int64_t grow(uint64_t delta, uint64_t init);  // old size or -1
};

struct GlobalInst {
  uint64_t value = 0;         // slot encoding
  ir::GlobalType type;
};

// A function: either defined by a wasm instance (code != null) or by the host (host != null).
struct FuncInst {
  uint32_t type_id = 0;                     // canonical id (EngineState::intern)
  const ir::FuncType* type = nullptr;
  InstanceData* instance = nullptr;         // defining instance; null for host functions
  uint32_t index = 0;                       // function index in the defining module
  const interp::CompiledFunc* code = nullptr;
  std::shared_ptr<engine::HostFunction> host;
  ir::FuncType host_type;                   // storage for `type` when host-created
};

// One instantiated module. Index spaces hold borrowed pointers to objects owned by the Store.
struct InstanceData {
  std::shared_ptr<const engine::Module> module;
  const LoadedModule* loaded = nullptr;
  std::vector<FuncInst*> funcs;
  std::unique_ptr<FuncInst[]> defined_funcs;     // this instance's own functions: one allocation
  std::vector<TableInst*> tables;
  std::vector<MemoryInst*> memories;
  std::vector<GlobalInst*> globals;
  std::vector<std::vector<uint64_t>> elems;      // element segment instances; dropped = cleared
  std::vector<std::span<const uint8_t>> datas;   // data segment instances; dropped = empty span
  MemoryInst* memory0 = nullptr;                 // fast path for the interpreter
  std::unique_ptr<engine::Instance> handle;      // the API object handed out
};

// Per-store execution state shared by all tiers.
struct ExecState {
  std::shared_ptr<std::atomic<uint32_t>> interrupt = std::make_shared<std::atomic<uint32_t>>(0);
  uint32_t max_call_depth = 10'000;
  uint32_t depth = 0;                            // current wasm call depth
  std::vector<uint64_t> stack;                   // value/frame stack for the interpreter
  size_t stack_top = 0;                          // first free slot of `stack`: where a re-entrant call starts
};

class StoreState {
 public:
  StoreState(engine::Store& owner, const EngineState& engine);
  engine::Store& owner;
  const EngineState& engine;
  ExecState exec;

  // Owned objects. deque: stable addresses, no per-object heap allocation for small ones.
  std::deque<FuncInst> funcs;
  std::deque<TableInst> tables;
  std::deque<MemoryInst> memories;
  std::deque<GlobalInst> globals;
  std::deque<InstanceData> instances;
};

}  // namespace wasipool::runtime
