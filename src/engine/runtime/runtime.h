// Internal runtime operations shared by the embedding API's implementation (api/*.cpp): allocation of
// runtime objects, constant expressions, instantiation and the host -> guest call boundary.
// Not part of the public API. Everything here runs on the thread that owns the Store.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "objects.h"

namespace wasipool::runtime {

// ---- allocation (memory.cpp, table.cpp) ---------------------------------------------------------

// Reserves the memory's whole reachable range once and commits its initial pages.
// ErrorKind::Limit when the declared minimum exceeds `limits` or the address space is exhausted.
// With a pool, a parked reservation of the right size is reused and the memory returns to the pool.
Result<Ok, engine::Error> init_memory(MemoryInst& mem, const ir::MemoryType& type, const engine::Limits& limits,
                                      MemoryPool* pool);
Result<Ok, engine::Error> init_table(TableInst& table, const ir::TableType& type, uint64_t init,
                                     const engine::Limits& limits);

// ---- constant expressions (const_expr.cpp) ------------------------------------------------------

// Evaluates a *validated* constant expression in the context of a partially built instance (imported
// globals and the function index space must already be filled in). Returns the slot encoding.
uint64_t eval_const(const ir::ConstExpr& expr, const InstanceData& inst);

// ---- instantiation (instantiate.cpp) ------------------------------------------------------------

// What the linker resolved one import to: a store object, or a store-independent host function that
// instantiation creates in the target store.
struct HostImport {
  const std::shared_ptr<engine::HostFunction>* fn = nullptr;  // borrowed from the Linker
};
using ResolvedImport = std::variant<engine::Extern, HostImport>;

// Allocates and initialises an instance of `module` in `store` with imports already resolved and
// type-checked (one entry per module import, in order). Runs segments and the start function.
Result<engine::Instance*, engine::Error> instantiate(StoreState& store, std::shared_ptr<const engine::Module> module,
                                                     std::span<const ResolvedImport> imports);

// ---- calls (invoke.cpp) -------------------------------------------------------------------------

// The one host -> guest boundary below Store::call: runs `f` (wasm code through its tier, or a host
// function directly) on raw slots sized max(params, results). `caller` is the instance a host function
// sees (null when called from the host).
std::optional<engine::Trap> invoke(StoreState& store, FuncInst* f, uint64_t* slots, engine::Instance* caller);

// Slot encoding of a function reference (engine::Value::bits): the FuncInst's address, never 0.
inline uint64_t func_ref(FuncInst* f) { return reinterpret_cast<uint64_t>(f); }

}  // namespace wasipool::runtime
